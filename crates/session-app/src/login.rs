//! `POST /login`: a new session for the user, under a new id.

use axum::{Json, extract::State};
use serde_json::json;
use tower_sessions::Session;

use auth_core::{
    Accounts, ApiError, ApiJson,
    client_addr::ClientAddr,
    device::{self, Device},
    validation::CredentialsBody,
};
use axum::response::IntoResponse;

use crate::session_user::{SessionUser, store_down};

pub async fn login(
    State(accounts): State<Accounts>,
    from: ClientAddr,
    device: Device,
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
    session
        .insert(
            SessionUser::KEY,
            SessionUser {
                id: user.id,
                email: user.email.clone(),
            },
        )
        .await
        .map_err(store_down)?;
    // Saved here, not only by the layer after the response, so that a store
    // that is down answers 503 instead of the layer's bare 500.
    session.save().await.map_err(store_down)?;
    tracing::info!(user_id = user.id, "logged in");
    let expires_in = session.expiry_age().as_seconds_f64().round() as i64;
    Ok((
        device::remember(&accounts, &user),
        Json(
            json!({"id": user.id, "email": user.email, "role": user.role, "expires_in": expires_in}),
        ),
    ))
}
