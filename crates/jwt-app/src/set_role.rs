//! `PUT /admin/users/{email}/role`: the shared role change of auth-core, then
//! the end of every login of a user set to `user`.

use auth_core::{ApiError, ApiJson, Principal, Role, routes};
use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::Value;

use crate::AppState;

/// A demoted user's access tokens claim `admin` until they expire: no
/// refresh may renew that claim, and with a denylist the tokens stop at
/// once. Without one they keep the stale claim for reads until `exp` (the
/// lesson; writes ask the database). Every change to `user` does this, not
/// only one from `admin`: retrying a demotion whose revocation failed (503)
/// must finish it, and by then the database already says `user`.
pub async fn set_role(
    State(app): State<AppState>,
    who: Principal,
    email: Path<String>,
    change: ApiJson<routes::RoleChange>,
) -> Result<Json<Value>, ApiError> {
    let Json(answer) = routes::set_role(State(app.accounts.clone()), who, email, change).await?;
    if answer["role"] != Role::User.as_str() {
        return Ok(Json(answer));
    }
    let email = answer["email"].as_str().unwrap_or_default();
    let Some(user) = app.accounts.users.by_email(email).await? else {
        // Deleted since: its tokens name an account that no longer exists.
        return Ok(Json(answer));
    };
    let logins = app.end_logins(user.id).await?;
    tracing::info!(
        user_id = user.id,
        logins,
        "set to user: every login revoked"
    );
    Ok(Json(answer))
}
