//! The account lifecycle of jwt-app (ASVS 5.0 V7), where a login is a
//! refresh family: sign out everywhere, the password change and the admin's
//! end of a user's logins. Each revokes the user's families (no refresh
//! renews them) through [`Revocation`], which with a denylist also denies
//! their access tokens; without one those live until `exp`, the lesson.
//! The listing of logins and the end of one are not written yet (issue 20).

use std::sync::Arc;

use auth_core::{
    ApiError, ApiJson,
    lifecycle::{PasswordBody, PasswordChangeBody, Reauth},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{
    bearer::VerifiedToken, login::token_response, refresh_tokens::RefreshStore,
    revocation::Revocation, tokens::Tokens, transport::Transport,
};

/// `POST /account/logout-everywhere`: the password again, then every family
/// of the user revoked, this login's included, and its cookies cleared.
pub async fn logout_everywhere(
    State(revocation): State<Revocation>,
    State(transport): State<Transport>,
    reauth: Reauth,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, ApiError> {
    reauth.password(body.password).await?;
    let user = reauth.who.user_id;
    reauth.accounts.end_every_login(user).await?;
    let ended = revocation.end_all_logins_of(user).await?;
    tracing::info!(user_id = user, ended, "signed out everywhere");
    Ok((transport.cleared(), StatusCode::NO_CONTENT).into_response())
}

/// `PUT /account/password`: the password changed (`auth_core`), every
/// family of the user revoked unless `end_other_logins` is false, and this
/// login continued in a new family: a new token pair, answered like a login
/// plus `logins_ended` (the other logins that ended).
pub async fn change_password(
    State(revocation): State<Revocation>,
    State(refresh): State<Arc<dyn RefreshStore>>,
    State(tokens): State<Arc<Tokens>>,
    State(transport): State<Transport>,
    reauth: Reauth,
    current: VerifiedToken,
    ApiJson(body): ApiJson<PasswordChangeBody>,
) -> Result<Response, ApiError> {
    let changed = reauth.change_password(body).await?;
    let user = &changed.user;
    let logins_ended = if changed.end_other_logins {
        let others = refresh
            .live_families(user.id)
            .await?
            .iter()
            .filter(|family| **family != current.sid)
            .count();
        revocation.end_all_logins_of(user.id).await?;
        others
    } else {
        // This login's family alone ends: it continues in the new one.
        revocation
            .end_logins(std::slice::from_ref(&current.sid))
            .await?;
        0
    };
    let issued = refresh.issue(user.id).await?;
    token_response(
        &tokens,
        transport,
        user,
        issued,
        &[("logins_ended", json!(logins_ended))],
    )
}

/// `DELETE /admin/users/{email}/logins`: every family of that user revoked.
pub async fn admin_end_logins(
    State(revocation): State<Revocation>,
    reauth: Reauth,
    Path(email): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = reauth
        .accounts
        .admin_ends_logins(&reauth.who, &email)
        .await?;
    revocation.end_all_logins_of(user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
