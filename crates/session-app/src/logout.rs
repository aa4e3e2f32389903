//! `POST /logout`: the session is deleted from the store, not only forgotten by the browser.

use axum::http::StatusCode;
use tower_sessions::Session;

use auth_core::{ApiError, openapi::ErrorBody};

use crate::session_user::store_down;

/// Deletes the session from the store; the layer then sends a removal cookie
/// (`Max-Age=0`). Requests still in flight only read the session, so none
/// of them writes it back.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "sessions",
    security(("login" = [])),
    responses(
        (status = 204, description = "The session is deleted and its cookie cleared"),
        (status = 401, description = "No live session (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "The session store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    session.flush().await.map_err(store_down)?;
    Ok(StatusCode::NO_CONTENT)
}
