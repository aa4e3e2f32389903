use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

use crate::session_user::{Lifetimes, SessionUser, store_down};
use auth_core::{ApiError, Principal, unix_now};

/// Lets a request through only with a live session, and tells the handlers
/// who it belongs to. The role is not in the session: the database decides it,
/// so a role change applies at the next request.
///
/// The request's activity slides the session's idle deadline, recorded at
/// most once per [`Lifetimes::touch_every`]: the layer then writes the
/// session back (an update, never a re-creation of a session ended meanwhile).
pub async fn require_session(
    State(lifetimes): State<Lifetimes>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let mut user = session
        .get::<SessionUser>(SessionUser::KEY)
        .await
        .map_err(store_down)?
        .ok_or_else(ApiError::unauthorized)?;
    let now = unix_now();
    if now - user.last_used_at >= lifetimes.touch_every() {
        if user.created_at == 0 {
            // A session from before the lifecycle: its lifetime starts now.
            user = SessionUser {
                created_at: now,
                handle: auth_core::lifecycle::new_handle(),
                ..user
            };
        }
        user.last_used_at = now;
        session.set_expiry(Some(lifetimes.expiry(&user)));
        session
            .insert(SessionUser::KEY, user.clone())
            .await
            .map_err(store_down)?;
    }
    req.extensions_mut().insert(Principal {
        user_id: user.id,
        email: user.email,
        role_claim: None,
    });
    Ok(next.run(req).await)
}
