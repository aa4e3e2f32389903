//! `POST /login`: a new session for the user, under a new id.

use axum::{Json, extract::State, http::HeaderMap};
use serde::Serialize;
use tower_sessions::Session;
use utoipa::ToSchema;

use auth_core::{
    Accounts, ApiError, ApiJson, Role,
    client_addr::ClientAddr,
    device::{self, Device},
    lifecycle,
    openapi::ErrorBody,
    validation::CredentialsBody,
};
use axum::response::IntoResponse;

use crate::session_user::{Lifetimes, SessionUser, store_down};

/// session-app's answer to a login; the credential itself is the cookie.
#[derive(Serialize, ToSchema)]
pub struct LoggedIn {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Seconds the session lives (`SESSION_TTL`).
    pub expires_in: i64,
}

#[utoipa::path(
    post,
    path = "/login",
    tag = "sessions",
    request_body = CredentialsBody,
    responses(
        (status = 200, description = "Logged in: a new session, its id in the `sid` cookie (`Set-Cookie`)", body = LoggedIn),
        (status = 401, description = "Unknown email or wrong password, one answer for both (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being hashed (`busy`, with `Retry-After`), or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn login(
    State(accounts): State<Accounts>,
    State(lifetimes): State<Lifetimes>,
    from: ClientAddr,
    device: Device,
    headers: HeaderMap,
    session: Session,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<impl IntoResponse, ApiError> {
    let user = accounts
        .authenticate_on(body.try_into()?, from, &device)
        .await?;
    // A session id the client already had (perhaps one an attacker planted)
    // must not become the logged-in one: session fixation.
    if session.id().is_some() {
        session.cycle_id().await.map_err(store_down)?;
    }
    let login = SessionUser::new(user.id, user.email.clone(), lifecycle::user_agent(&headers));
    session.set_expiry(Some(lifetimes.expiry(&login)));
    // Read at once, before the store's writes: the lifetime the login was
    // given, not what is left of it after them.
    let expires_in = session.expiry_age().as_seconds_f64().ceil() as i64;
    session
        .insert(SessionUser::KEY, login)
        .await
        .map_err(store_down)?;
    // Saved here, not only by the layer after the response, so that a store
    // that is down answers 503 instead of the layer's bare 500.
    session.save().await.map_err(store_down)?;
    // A sign-out everywhere or password change that ran since the password
    // check may have listed the user's sessions before this one was stored:
    // then this login undoes itself rather than survive it.
    match accounts.login_still_stands(&user).await {
        Ok(true) => {}
        outcome => {
            if let Err(e) = session.flush().await {
                tracing::warn!(error = %e, "could not undo a login that lost a race");
            }
            return Err(outcome
                .err()
                .unwrap_or_else(lifecycle::login_ended_meanwhile));
        }
    }
    tracing::info!(user_id = user.id, "logged in");
    Ok((
        device::remember(&accounts, &user),
        Json(LoggedIn {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
            expires_in,
        }),
    ))
}
