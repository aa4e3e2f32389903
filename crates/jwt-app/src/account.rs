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
    lifecycle::{
        self, LoginEntry, LoginList, PasswordBody, PasswordChangeBody, Reauth,
        refusals::{
            AdminEndLoginsRefused, NoSuchLogin, NotLoggedIn, PasswordChangeInvalid,
            PasswordMissing, PasswordRechecked,
        },
    },
    openapi::ErrorBody,
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

/// The 503 of the routes that check the password again.
const DOWN_OR_BUSY: &str =
    "A store or the database is down (`unavailable`), or too many passwords being hashed (`busy`)";

/// `PUT /account/password`'s answer, for the document only (the handler
/// answers a login's JSON plus `logins_ended`): the new pair with the
/// header transport; with `TOKEN_TRANSPORT=cookie` only the lifetimes, the
/// tokens being in `Set-Cookie`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PasswordChanged {
    access_token: Option<String>,
    #[schema(example = "Bearer")]
    token_type: Option<String>,
    expires_in: u64,
    refresh_token: Option<String>,
    refresh_expires_in: u64,
    /// How many other logins ended.
    logins_ended: usize,
}

/// `GET /account/logins`: the caller's live families, newest first; the
/// one its access token was issued with is `current`.
#[utoipa::path(
    get,
    path = "/account/logins",
    tag = "account",
    security(("login" = [])),
    responses(
        (status = 200, description = "The caller's live refresh families, newest first; `current` is the one its access token belongs to (`sid`)", body = LoginList,
            links(("EndLogin" = (operation_id = "end_login", parameters(("id" = "$response.body#/logins/0/id")))))),
        NotLoggedIn,
        (status = 503, description = "The refresh token store is down (`unavailable`)", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    delete,
    path = "/account/logins/{id}",
    tag = "account",
    security(("login" = [])),
    params(("id" = String, Path, description = "The login's handle, as `GET /account/logins` lists it")),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "That family is revoked and, with a denylist, its access tokens refused; without one they work until `exp`. This login's cookies are cleared if it was named"),
        PasswordMissing,
        PasswordRechecked,
        NoSuchLogin,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
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
#[utoipa::path(
    post,
    path = "/account/logout-everywhere",
    tag = "account",
    security(("login" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Every family of the user is revoked, this one included, and its cookies cleared; with a denylist every access token issued before now is refused, without one they work until `exp`"),
        PasswordMissing,
        PasswordRechecked,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
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
#[utoipa::path(
    put,
    path = "/account/password",
    tag = "account",
    security(("login" = [])),
    request_body = PasswordChangeBody,
    responses(
        (status = 200, description = "Changed; this login continues in a new family (a new token pair, in cookies with `TOKEN_TRANSPORT=cookie`), and the other logins ended unless `end_other_logins` is false", body = PasswordChanged),
        PasswordChangeInvalid,
        PasswordRechecked,
        (status = 503, description = DOWN_OR_BUSY, body = ErrorBody),
    )
)]
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
#[utoipa::path(
    delete,
    path = "/admin/users/{email}/logins",
    tag = "admin",
    security(("login" = [])),
    params(("email" = String, Path, format = Email, description = "The account whose logins end")),
    responses(
        (status = 204, description = "Every family of that user is revoked; with a denylist its access tokens issued before now are refused"),
        NotLoggedIn,
        AdminEndLoginsRefused,
        (status = 503, description = "A store or the database is down (`unavailable`)", body = ErrorBody),
    )
)]
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
