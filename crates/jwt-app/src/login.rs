//! `POST /login`: an access token and the first refresh token of a new family.

use auth_core::{
    Accounts, ApiError, ApiJson, User,
    client_addr::ClientAddr,
    validation::{CredentialsBody, LoginAttempt},
};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::Response,
};

use std::sync::Arc;

use crate::{
    refresh_tokens::{IssuedRefresh, RefreshStore},
    tokens::Tokens,
    transport::Transport,
};

pub async fn login(
    State(accounts): State<Accounts>,
    State(refresh): State<Arc<dyn RefreshStore>>,
    State(tokens): State<Arc<Tokens>>,
    State(transport): State<Transport>,
    from: ClientAddr,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    let user = accounts
        .authenticate(LoginAttempt::try_from(body)?, from)
        .await?;
    let refresh = refresh.issue(user.id).await?;
    tracing::info!(user_id = user.id, family = %refresh.family_id, "logged in");
    token_response(&tokens, transport, &user, refresh)
}

/// The answer of login and refresh (body or cookies: [`crate::transport`]),
/// marked uncacheable as RFC 6749 §5.1 asks of any response that carries tokens.
pub(crate) fn token_response(
    tokens: &Tokens,
    transport: Transport,
    user: &User,
    refresh: IssuedRefresh,
) -> Result<Response, ApiError> {
    let access = tokens.issue(user, &refresh.family_id)?;
    let mut res = transport.issued(&access, &refresh);
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}
