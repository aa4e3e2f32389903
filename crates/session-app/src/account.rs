//! The account lifecycle of session-app (ASVS 5.0 V7): the caller's logins,
//! ending one or all of them, the password change, and the admin's end of a
//! user's logins. A login is a session; the store's per-user index finds
//! them (`store/`). The rules both apps share are in `auth_core::lifecycle`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tower_sessions::Session;

use auth_core::{
    Accounts, ApiError, ApiJson, Principal,
    lifecycle::{
        self, LoginList, LoginsEnded, PasswordBody, PasswordChangeBody, Reauth,
        refusals::{
            AdminEndLoginsRefused, NoSuchLogin, NotLoggedIn, PasswordChangeInvalid,
            PasswordMissing, PasswordRechecked,
        },
    },
    openapi::ErrorBody,
    unix_now,
};

use crate::{
    session_user::{Lifetimes, SessionUser, store_down},
    store::SessionBackend,
};

fn down(e: tower_sessions::session_store::Error) -> ApiError {
    ApiError::store_down("session store", e)
}

/// The 503 of the routes that check the password again.
const DOWN_OR_BUSY: &str = "The session store or the database is down (`unavailable`), or too many passwords being hashed (`busy`)";

/// `GET /account/logins`: the caller's live sessions, newest first.
#[utoipa::path(
    get,
    path = "/account/logins",
    tag = "account",
    security(("login" = [])),
    responses(
        (status = 200, description = "The caller's live sessions, newest first; `current` is this one", body = LoginList,
            links(("EndLogin" = (operation_id = "end_login", parameters(("id" = "$response.body#/logins/0/id")))))),
        NotLoggedIn,
        (status = 503, description = "The session store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn logins(
    State(sessions): State<SessionBackend>,
    who: Principal,
    session: Session,
) -> Result<Json<LoginList>, ApiError> {
    let current = session.id();
    let entries = sessions
        .of_user(who.user_id)
        .await
        .map_err(down)?
        .into_iter()
        .filter_map(|record| {
            SessionUser::of(&record)
                .filter(|u| u.id == who.user_id)
                .map(|u| u.entry(&record, current))
        })
        .collect();
    Ok(Json(LoginList::newest_first(entries)))
}

/// `DELETE /account/logins/{id}`: the password again, then that session
/// ends. An unknown handle and another user's are the same 404.
#[utoipa::path(
    delete,
    path = "/account/logins/{id}",
    tag = "account",
    security(("login" = [])),
    params(("id" = String, Path, description = "The login's handle, as `GET /account/logins` lists it")),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "That session is deleted (this one too, if named: its cookie is then cleared)"),
        PasswordMissing,
        PasswordRechecked,
        NoSuchLogin,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
pub async fn end_login(
    State(sessions): State<SessionBackend>,
    reauth: Reauth,
    session: Session,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    reauth.password(body.password).await?;
    let who = &reauth.who;
    let record = sessions
        .of_user(who.user_id)
        .await
        .map_err(down)?
        .into_iter()
        .find(|record| {
            SessionUser::of(record)
                .is_some_and(|u| u.id == who.user_id && !u.handle.is_empty() && u.handle == handle)
        })
        .ok_or_else(lifecycle::no_such_login)?;
    sessions.end(&record.id).await.map_err(down)?;
    if session.id() == Some(record.id) {
        session.flush().await.map_err(store_down)?;
    }
    tracing::info!(user_id = who.user_id, "one login ended");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /account/logout-everywhere`: the password again, then every session
/// of the user ends at once, this one included, and its cookie is cleared.
#[utoipa::path(
    post,
    path = "/account/logout-everywhere",
    tag = "account",
    security(("login" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Every session of the user is deleted, this one included, and its cookie cleared"),
        PasswordMissing,
        PasswordRechecked,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
pub async fn logout_everywhere(
    State(sessions): State<SessionBackend>,
    reauth: Reauth,
    session: Session,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    reauth.password(body.password).await?;
    let who = &reauth.who;
    reauth.accounts.end_every_login(who.user_id).await?;
    let ended = sessions.end_all(who.user_id, None).await.map_err(down)?;
    session.flush().await.map_err(store_down)?;
    tracing::info!(user_id = who.user_id, ended, "signed out everywhere");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /account/password`: the password changed (`auth_core`), this login
/// continued under a new session id, and every other session ended unless
/// `end_other_logins` is false.
#[utoipa::path(
    put,
    path = "/account/password",
    tag = "account",
    security(("login" = [])),
    request_body = PasswordChangeBody,
    responses(
        (status = 200, description = "Changed; this login continues under a new session id (`Set-Cookie`), and the other logins ended unless `end_other_logins` is false", body = LoginsEnded),
        PasswordChangeInvalid,
        PasswordRechecked,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
pub async fn change_password(
    State(sessions): State<SessionBackend>,
    State(lifetimes): State<Lifetimes>,
    reauth: Reauth,
    session: Session,
    ApiJson(body): ApiJson<PasswordChangeBody>,
) -> Result<Json<LoginsEnded>, ApiError> {
    let changed = reauth.change_password(body).await?;
    let who = &reauth.who;
    let mut me = session
        .get::<SessionUser>(SessionUser::KEY)
        .await
        .map_err(store_down)?
        .ok_or_else(ApiError::unauthorized)?;
    // A new id: whoever copied the old one is out, as at a login.
    session.cycle_id().await.map_err(store_down)?;
    me.last_used_at = unix_now();
    session.set_expiry(Some(lifetimes.expiry(&me)));
    session
        .insert(SessionUser::KEY, me)
        .await
        .map_err(store_down)?;
    session.save().await.map_err(store_down)?;
    let logins_ended = if changed.end_other_logins {
        sessions
            .end_all(who.user_id, session.id())
            .await
            .map_err(down)?
    } else {
        0
    };
    Ok(Json(LoginsEnded { logins_ended }))
}

/// `DELETE /admin/users/{email}/logins`: every session of that user ends.
#[utoipa::path(
    delete,
    path = "/admin/users/{email}/logins",
    tag = "admin",
    security(("login" = [])),
    params(("email" = String, Path, format = Email, description = "The account whose logins end")),
    responses(
        (status = 204, description = "Every session of that user is deleted"),
        NotLoggedIn,
        AdminEndLoginsRefused,
        (status = 503, description = "The session store or the database is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn admin_end_logins(
    State(accounts): State<Accounts>,
    State(sessions): State<SessionBackend>,
    who: Principal,
    Path(email): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = accounts.admin_ends_logins(&who, &email).await?;
    sessions.end_all(user.id, None).await.map_err(down)?;
    Ok(StatusCode::NO_CONTENT)
}
