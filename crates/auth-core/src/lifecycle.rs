//! The account lifecycle both apps share (OWASP ASVS 5.0 V7): the JSON of a
//! login listing and of the lifecycle routes' bodies, the password re-check
//! that guards them (throttled like a login), the password change, and the
//! per-user logins epoch that keeps a racing login from surviving the end of
//! every login, and the routes' refusals as the API document lists them
//! (`refusals`). What a login *is* (a session, a refresh family) stays in
//! each app.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::{
    Accounts, ApiError, Principal, User,
    client_addr::ClientAddr,
    device::Device,
    validation::{Email, LoginAttempt, NewPassword},
};

pub mod refusals;

/// The longest user agent kept with a login, in bytes: enough to tell
/// browsers apart, and a client cannot make every listing large.
pub const USER_AGENT_MAX_BYTES: usize = 256;

/// One login as `GET /account/logins` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Login)]
pub struct LoginView {
    /// The opaque handle of the login: random, stored with it, never its
    /// session id or a token, so a listing leaks no credential.
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The last request (session-app) or refresh (jwt-app) that used it.
    #[schema(format = DateTime)]
    pub last_used_at: String,
    /// When it ends unless used again (idle timeout), at most its absolute end.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// As the client sent it at login, cut to [`USER_AGENT_MAX_BYTES`]; text
    /// for the page to show as text.
    pub user_agent: String,
    /// Whether it is the login that asks.
    pub current: bool,
}

/// The answer of `GET /account/logins`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginList {
    pub logins: Vec<LoginView>,
}

/// A login as an app knows it, in Unix seconds, before it is shown.
#[derive(Debug, Clone)]
pub struct LoginEntry {
    pub handle: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    pub current: bool,
}

impl LoginList {
    /// The listing of `entries`, newest first.
    pub fn newest_first(mut entries: Vec<LoginEntry>) -> Self {
        entries.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.last_used_at.cmp(&a.last_used_at))
        });
        Self {
            logins: entries
                .into_iter()
                .map(|e| LoginView {
                    id: e.handle,
                    created_at: rfc3339(e.created_at),
                    last_used_at: rfc3339(e.last_used_at),
                    expires_at: rfc3339(e.expires_at),
                    user_agent: e.user_agent,
                    current: e.current,
                })
                .collect(),
        }
    }
}

/// The body of `DELETE /account/logins/{id}` and `POST /account/logout-everywhere`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordBody {
    /// The caller's password, checked again (throttled like a login): 1 to
    /// 72 bytes, as at login.
    #[schema(min_length = 1, max_length = 72)]
    pub password: String,
}

/// The body of `PUT /account/password`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChangeBody {
    /// Checked again, throttled like a login: 1 to 72 bytes, as at login.
    #[schema(min_length = 1, max_length = 72)]
    pub current_password: String,
    /// Validated like a registration's: 8 to 72 bytes.
    #[schema(min_length = 8, max_length = 72)]
    pub new_password: String,
    /// Whether every other login ends (the default).
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub end_other_logins: bool,
}

fn yes() -> bool {
    true
}

/// What a password change ended, in both apps' answers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginsEnded {
    pub logins_ended: usize,
}

/// A new login handle: 128 random bits, base64url.
pub fn new_handle() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The request's `User-Agent` as text, cut on a character boundary to
/// [`USER_AGENT_MAX_BYTES`]; empty without one.
pub fn user_agent(headers: &HeaderMap) -> String {
    let raw = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut end = raw.len().min(USER_AGENT_MAX_BYTES);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw[..end].to_owned()
}

/// Unix seconds in RFC 3339, as every time of the API is written.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The one answer for a handle that is unknown or another user's: nobody
/// learns which handles exist.
pub fn no_such_login() -> ApiError {
    ApiError::NotFound("you have no login with this id".into())
}

/// A login that raced the end of every login of its user and lost.
pub fn login_ended_meanwhile() -> ApiError {
    ApiError::Unauthorized(
        "every login of this account was ended while this one was made; log in again".into(),
    )
}

/// The caller of a lifecycle route, about to give its password again: who
/// it is (as the app's credential check left it), and what the login
/// throttle counts it by.
pub struct Reauth {
    pub accounts: Accounts,
    pub who: Principal,
    from: ClientAddr,
    device: Device,
}

impl<S> FromRequestParts<S> for Reauth
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let who = Principal::from_request_parts(parts, state).await?;
        let from = ClientAddr::from_request_parts(parts, state).await?;
        let Ok(device) = Device::from_request_parts(parts, state).await;
        Ok(Self {
            accounts: Accounts::from_ref(state),
            who,
            from,
            device,
        })
    }
}

impl Reauth {
    /// [`Accounts::recheck_password`] for the caller.
    pub async fn password(&self, password: String) -> Result<User, ApiError> {
        self.accounts
            .recheck_password(&self.who, password, self.from, &self.device)
            .await
    }

    /// [`Accounts::change_password`] for the caller.
    pub async fn change_password(
        &self,
        body: PasswordChangeBody,
    ) -> Result<PasswordChanged, ApiError> {
        self.accounts
            .change_password(&self.who, body, self.from, &self.device)
            .await
    }
}

/// What a password change did to the account.
pub struct PasswordChanged {
    /// The user, with the logins epoch after the change.
    pub user: User,
    /// Whether the other logins are to end.
    pub end_other_logins: bool,
}

impl Accounts {
    /// The caller's password checked again before a change to its logins
    /// or its password, counted by the login throttle like a login (a
    /// stolen session cannot guess it faster than a login form could). A
    /// wrong one is 401 `invalid_credentials`; an empty one or one over 72
    /// bytes is 400 `invalid_input`, as at login (bcrypt would match a
    /// longer one on its first 72 bytes alone).
    pub async fn recheck_password(
        &self,
        who: &Principal,
        password: String,
        from: ClientAddr,
        device: &Device,
    ) -> Result<User, ApiError> {
        let attempt = LoginAttempt::new(&who.email, password)?;
        let user = self.authenticate_on(attempt, from, device).await?;
        if user.id != who.user_id {
            // The credential's account is gone and its email taken again.
            return Err(ApiError::Unauthorized(
                "this account no longer exists".into(),
            ));
        }
        Ok(user)
    }

    /// `PUT /account/password` for both apps: the current password
    /// re-checked (throttled), the new one validated like a registration's,
    /// stored in place of the hash just checked. Of two changes at once, the
    /// second finds the hash replaced and gets 401: one wins. With
    /// `end_other_logins`, the logins epoch moves in the same statement, so
    /// a login racing the change undoes itself.
    pub async fn change_password(
        &self,
        who: &Principal,
        body: PasswordChangeBody,
        from: ClientAddr,
        device: &Device,
    ) -> Result<PasswordChanged, ApiError> {
        let new_password = NewPassword::parse(body.new_password)?;
        let user = self
            .recheck_password(who, body.current_password, from, device)
            .await?;
        let hash = self.hasher.hash(new_password.into_inner()).await?;
        let step = i64::from(body.end_other_logins);
        if !self
            .users
            .replace_password_hash(user.id, &user.password_hash, &hash, step)
            .await?
        {
            return Err(ApiError::Unauthorized(
                "the password was changed by another request meanwhile".into(),
            ));
        }
        tracing::info!(user_id = user.id, "password changed");
        Ok(PasswordChanged {
            user: User {
                password_hash: hash,
                logins_epoch: user.logins_epoch + step,
                ..user
            },
            end_other_logins: body.end_other_logins,
        })
    }

    /// Marks the end of every login of user `id` (before the app ends them):
    /// a login still being made for it will find the epoch moved and undo
    /// itself. 404 for an unknown user.
    pub async fn end_every_login(&self, id: i64) -> Result<(), ApiError> {
        if self.users.bump_logins_epoch(id).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound("no such user".into()))
        }
    }

    /// `DELETE /admin/users/{email}/logins` in both apps, before the app ends
    /// the logins: the caller's role read from the database now (403), the
    /// user found (404), and its logins epoch moved. The user it names.
    pub async fn admin_ends_logins(&self, who: &Principal, email: &str) -> Result<User, ApiError> {
        self.require_admin_now(who).await?;
        let email = Email::parse(email)?;
        let user =
            self.users.by_email(email.as_str()).await?.ok_or_else(|| {
                ApiError::NotFound(format!("no user with email {}", email.as_str()))
            })?;
        self.end_every_login(user.id).await?;
        tracing::info!(by = %who.email, user = %user.email, "every login of the user ended");
        Ok(user)
    }

    /// Whether a login made for `user` (as read at its password check) may
    /// stand: no end of every login happened since. The app undoes it when not.
    pub async fn login_still_stands(&self, user: &User) -> Result<bool, ApiError> {
        Ok(self.users.logins_epoch(user.id).await? == Some(user.logins_epoch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cut_on_a_character_boundary() {
        let mut headers = HeaderMap::new();
        let long = "é".repeat(USER_AGENT_MAX_BYTES);
        headers.insert(header::USER_AGENT, long.parse().expect("a header value"));
        let kept = user_agent(&headers);
        assert!(kept.len() <= USER_AGENT_MAX_BYTES && kept.len() >= USER_AGENT_MAX_BYTES - 1);
        assert!(kept.chars().all(|c| c == 'é'));
        assert_eq!(user_agent(&HeaderMap::new()), "");
    }

    #[test]
    fn handles_are_random_and_long() {
        let (a, b) = (new_handle(), new_handle());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
    }

    #[test]
    fn listings_are_newest_first() {
        let entry = |handle: &str, created_at| LoginEntry {
            handle: handle.into(),
            created_at,
            last_used_at: created_at,
            expires_at: created_at + 60,
            user_agent: String::new(),
            current: false,
        };
        let list = LoginList::newest_first(vec![entry("old", 10), entry("new", 20)]);
        let ids: Vec<_> = list.logins.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["new", "old"]);
        assert_eq!(list.logins[0].created_at, "1970-01-01T00:00:20Z");
    }
}
