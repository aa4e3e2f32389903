//! The account lifecycle of jwt-app (ASVS 5.0 V7), where a login is a
//! refresh family: sign out everywhere, the password change and the admin's
//! end of a user's logins. Each revokes the user's families (no refresh
//! renews them) through [`Revocation`], which with a denylist also denies
//! their access tokens; without one those live until `exp`, the lesson.
//! "Your logins" lists the user's live families by a random handle stored
//! with each (the family id is in every access token, so it is no secret).

use std::sync::Arc;

use auth_core::{
    ApiError, ApiJson, Principal,
    lifecycle::{self, LoginEntry, LoginList, PasswordBody, PasswordChangeBody, Reauth},
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{
    bearer::VerifiedToken, login::token_response, refresh_tokens::RefreshStore,
    revocation::Revocation, tokens::Tokens, transport::Transport,
};

/// `GET /account/logins`: the caller's live families, newest first; the
/// one its access token was issued with is `current`.
pub async fn logins(
    State(refresh): State<Arc<dyn RefreshStore>>,
    who: Principal,
    current: VerifiedToken,
) -> Result<Json<LoginList>, ApiError> {
    let entries = refresh
        .logins(who.user_id)
        .await?
        .into_iter()
        .map(|login| LoginEntry {
            current: login.family_id == current.sid,
            handle: login.handle,
            created_at: login.created_at,
            last_used_at: login.last_used_at,
            expires_at: login.expires_at,
            user_agent: login.user_agent,
        })
        .collect();
    Ok(Json(LoginList::newest_first(entries)))
}

/// `DELETE /account/logins/{id}`: the password again, then that family is
/// revoked and, with a denylist, its access tokens denied (as at logout);
/// without one they work until `exp`. An unknown handle and another user's
/// are the same 404. Ending this very login clears its cookies too.
pub async fn end_login(
    State(revocation): State<Revocation>,
    State(refresh): State<Arc<dyn RefreshStore>>,
    State(transport): State<Transport>,
    reauth: Reauth,
    current: VerifiedToken,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, ApiError> {
    reauth.password(body.password).await?;
    let user = reauth.who.user_id;
    // Looked up among the caller's own families only: another user's handle
    // is not found, exactly like one that never existed.
    let family = refresh
        .logins(user)
        .await?
        .into_iter()
        .find(|login| login.handle == handle)
        .ok_or_else(lifecycle::no_such_login)?
        .family_id;
    revocation.end_logins(std::slice::from_ref(&family)).await?;
    tracing::info!(user_id = user, "one login ended");
    if family == current.sid {
        return Ok((transport.cleared(), StatusCode::NO_CONTENT).into_response());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

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
    // The same login continues in the new family: "your logins" shows it
    // with the user agent it logged in with (none for a family from before
    // logins were listed).
    let user_agent = refresh
        .logins(user.id)
        .await?
        .into_iter()
        .find(|login| login.family_id == current.sid)
        .map(|login| login.user_agent)
        .unwrap_or_default();
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
    let issued = refresh.issue(user.id, &user_agent).await?;
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
