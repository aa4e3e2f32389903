use axum::{Json, Router, http::StatusCode, routing::post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions::Session;

use auth_core::{ApiError, ApiJson, Core, validation::CredentialsBody};

/// What a session holds: who logged in, nothing secret and no role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
}

impl SessionUser {
    pub const KEY: &'static str = "user";
}

pub fn public(core: Core) -> Router {
    Router::new().route("/login", post(login)).with_state(core)
}

pub fn protected() -> Router {
    Router::new().route("/logout", post(logout))
}

fn store_down(e: tower_sessions::session::Error) -> ApiError {
    ApiError::store_down("session store", e)
}

async fn login(
    axum::extract::State(core): axum::extract::State<Core>,
    session: Session,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Json<Value>, ApiError> {
    let user = core.authenticate(body.try_into()?).await?;
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
    Ok(Json(
        json!({"id": user.id, "email": user.email, "role": user.role, "expires_in": expires_in}),
    ))
}

/// Deletes the session from the store; the layer then sends a removal cookie
/// (`Max-Age=0`). Requests still in flight only read the session, so none
/// of them writes it back.
async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    session.flush().await.map_err(store_down)?;
    Ok(StatusCode::NO_CONTENT)
}
