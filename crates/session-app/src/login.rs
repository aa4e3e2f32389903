//! `POST /login`: a new session for the user, under a new id.

use axum::{Json, extract::State, http::HeaderMap};
use serde_json::json;
use tower_sessions::Session;

use auth_core::{
    Accounts, ApiError, ApiJson,
    client_addr::ClientAddr,
    device::{self, Device},
    lifecycle,
    validation::CredentialsBody,
};
use axum::response::IntoResponse;

use crate::session_user::{Lifetimes, SessionUser, store_down};

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
    let expires_in = session.expiry_age().as_seconds_f64().round() as i64;
    Ok((
        device::remember(&accounts, &user),
        Json(
            json!({"id": user.id, "email": user.email, "role": user.role, "expires_in": expires_in}),
        ),
    ))
}
