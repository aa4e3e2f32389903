//! What a session holds: who logged in and what the login listing shows,
//! nothing secret and no role (the database decides the role, so a change
//! applies at the next request).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_sessions::{
    Expiry,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
};

use auth_core::{ApiError, lifecycle::LoginEntry, unix_now};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    /// The login's opaque handle in `GET /account/logins`. Sessions from
    /// before the listing have none and are listed under their record's
    /// expiry alone (see [`SessionUser::entry`]).
    #[serde(default)]
    pub handle: String,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds, written at most once per [`Lifetimes::touch_every`].
    #[serde(default)]
    pub last_used_at: i64,
    #[serde(default)]
    pub user_agent: String,
}

impl SessionUser {
    /// The key it is stored under in the session record.
    pub const KEY: &'static str = "user";

    /// A new login of user `id`, now.
    pub fn new(id: i64, email: String, user_agent: String) -> Self {
        let now = unix_now();
        Self {
            id,
            email,
            handle: auth_core::lifecycle::new_handle(),
            created_at: now,
            last_used_at: now,
            user_agent,
        }
    }

    /// The user a stored record belongs to, if it is a login.
    pub fn of(record: &Record) -> Option<Self> {
        serde_json::from_value(record.data.get(Self::KEY)?.clone()).ok()
    }

    /// This login as the listing shows it.
    pub fn entry(self, record: &Record, current: Option<Id>) -> LoginEntry {
        let expires_at = record.expiry_date.unix_timestamp();
        LoginEntry {
            handle: self.handle,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at,
            user_agent: self.user_agent,
            current: current == Some(record.id),
        }
    }
}

/// A session's two deadlines (ASVS 5.0 7.3.1, 7.3.2): it ends `idle` after
/// its last recorded use, and `ttl` after the login whatever the activity.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub ttl: Duration,
    pub idle: Duration,
}

impl Lifetimes {
    /// The longest a request's activity goes unrecorded: a minute, or a
    /// quarter of the idle timeout if that is shorter. Recording it is a
    /// store write; once per request would make every read a write.
    pub fn touch_every(&self) -> i64 {
        secs(self.idle.min(Duration::from_secs(60 * 4)) / 4).max(1)
    }

    /// When the login of `user`, last used at `last_used_at`, ends.
    pub fn expiry(&self, user: &SessionUser) -> Expiry {
        let absolute = user.created_at.saturating_add(secs(self.ttl));
        let idle = user.last_used_at.saturating_add(secs(self.idle));
        let end = absolute.min(idle);
        Expiry::AtDateTime(
            OffsetDateTime::from_unix_timestamp(end).unwrap_or_else(|_| OffsetDateTime::now_utc()),
        )
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The session store failed: fail closed with 503.
pub fn store_down(e: tower_sessions::session::Error) -> ApiError {
    ApiError::store_down("session store", e)
}
