//! `POST /logout`: the session is deleted from the store, not only forgotten by the browser.

use axum::http::StatusCode;
use tower_sessions::Session;

use auth_core::ApiError;

use crate::session_user::store_down;

/// Deletes the session from the store; the layer then sends a removal cookie
/// (`Max-Age=0`). Requests still in flight only read the session, so none
/// of them writes it back.
pub async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    session.flush().await.map_err(store_down)?;
    Ok(StatusCode::NO_CONTENT)
}
