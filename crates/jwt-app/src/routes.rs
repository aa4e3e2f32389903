//! /login, /refresh and /logout: the routes where tokens are made and unmade.

use auth_core::{
    ApiError, ApiJson, Principal, User,
    validation::{CredentialsBody, LoginAttempt},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::json;

use crate::{AppState, bearer::VerifiedToken, refresh::IssuedRefresh};

/// Routes anyone may call: they hand out tokens.
pub fn token_router(state: AppState) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .with_state(state)
}

/// /logout, to be put behind the bearer check.
pub fn logout_router(state: AppState) -> Router {
    Router::new()
        .route("/logout", post(logout))
        .with_state(state)
}

async fn login(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    let user = app.core.authenticate(LoginAttempt::try_from(body)?).await?;
    let refresh = app.refresh.issue(user.id).await?;
    tracing::info!(user_id = user.id, family = %refresh.family_id, "logged in");
    token_response(&app, &user, refresh)
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    let rotated = app.refresh.rotate(&body.refresh_token).await?;
    // The role is read again here, not copied from the old access token: this
    // is the moment a role change reaches the token.
    let Some(user) = app.core.users.by_id(rotated.user_id).await? else {
        app.refresh.revoke_family(&rotated.issued.family_id).await?;
        return Err(ApiError::InvalidGrant(
            "the account of this refresh token no longer exists".into(),
        ));
    };
    token_response(&app, &user, rotated.issued)
}

/// The body of login and refresh, marked uncacheable as RFC 6749 §5.1 asks
/// of any response that carries tokens.
fn token_response(
    app: &AppState,
    user: &User,
    refresh: IssuedRefresh,
) -> Result<Response, ApiError> {
    let access = app.tokens.issue(user, &refresh.family_id)?;
    let body = json!({
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "refresh_token": refresh.token,
        "refresh_expires_in": refresh.expires_in,
    });
    let mut res = Json(body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}

#[derive(Deserialize)]
struct LogoutBody {
    refresh_token: Option<String>,
}

/// Revokes the refresh family of the access token, and that of the refresh
/// token sent in the body if it is the same user's. The access token itself
/// is denied only when a denylist is configured: without one it keeps working
/// until `exp`, which is the logout loophole of stateless tokens.
async fn logout(
    State(app): State<AppState>,
    who: Principal,
    token: VerifiedToken,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let body = logout_body(&headers, body)?;
    let mut families = vec![token.sid.clone()];
    if let Some(refresh_token) = body.and_then(|b| b.refresh_token) {
        match app.refresh.find(&refresh_token).await? {
            Some(record) if record.user_id == who.user_id => {
                if record.family_id != token.sid {
                    families.push(record.family_id);
                }
            }
            // Someone else's or unknown: not ours to revoke, and saying which
            // would tell the caller whether a stolen token is live.
            _ => tracing::warn!(user_id = who.user_id, "logout with a foreign refresh token"),
        }
    }
    for family in &families {
        app.refresh.revoke_family(family).await?;
    }
    if let Some(denylist) = &app.denylist {
        // Verification accepts a token up to `leeway` past `exp`: deny it that long.
        let until = token.exp.saturating_add_unsigned(app.tokens.leeway_secs());
        denylist
            .deny(&token.jti, until)
            .await
            .map_err(|e| ApiError::store_down("denylist", e))?;
    }
    tracing::info!(
        user_id = who.user_id,
        families = families.len(),
        "logged out"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The optional JSON body of /logout: none at all is fine, a broken one is not.
fn logout_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<LogoutBody>, ApiError> {
    let bytes = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::InvalidInput(format!("cannot read the body: {}", e.body_text())),
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| ApiError::InvalidInput(format!("the body is not valid JSON: {e}")))
}
