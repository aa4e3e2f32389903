//! `POST /login`: an access token and the first refresh token of a new family.

use auth_core::{
    ApiError, ApiJson, User,
    client_addr::ClientAddr,
    validation::{CredentialsBody, LoginAttempt},
};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::Response,
};

use crate::{AppState, refresh_tokens::IssuedRefresh};

pub async fn login(
    State(app): State<AppState>,
    from: ClientAddr,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    let user = app
        .accounts
        .authenticate(LoginAttempt::try_from(body)?, from)
        .await?;
    let refresh = app.refresh.issue(user.id).await?;
    tracing::info!(user_id = user.id, family = %refresh.family_id, "logged in");
    token_response(&app, &user, refresh)
}

/// The answer of login and refresh (body or cookies: [`crate::transport`]),
/// marked uncacheable as RFC 6749 §5.1 asks of any response that carries tokens.
pub(crate) fn token_response(
    app: &AppState,
    user: &User,
    refresh: IssuedRefresh,
) -> Result<Response, ApiError> {
    let access = app.tokens.issue(user, &refresh.family_id)?;
    let mut res = app.transport.issued(&access, &refresh);
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}
