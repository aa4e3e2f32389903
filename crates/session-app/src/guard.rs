use axum::{extract::Request, middleware::Next, response::Response};
use tower_sessions::Session;

use crate::session_user::{SessionUser, store_down};
use auth_core::{ApiError, Principal};

/// Lets a request through only with a live session, and tells the handlers
/// who it belongs to. The role is not in the session: the database decides it,
/// so a role change applies at the next request.
pub async fn require_session(
    session: Session,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let user = session
        .get::<SessionUser>(SessionUser::KEY)
        .await
        .map_err(store_down)?
        .ok_or_else(ApiError::unauthorized)?;
    req.extensions_mut().insert(Principal {
        user_id: user.id,
        email: user.email,
        role_claim: None,
    });
    Ok(next.run(req).await)
}
