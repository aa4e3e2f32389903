//! `POST /login`: an access token and the first refresh token of a new family.

use auth_core::{
    Accounts, ApiError, ApiJson, User,
    client_addr::ClientAddr,
    device::{self, Device},
    validation::{CredentialsBody, LoginAttempt},
};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use std::sync::Arc;

use crate::{
    refresh_tokens::{IssuedRefresh, RefreshStore},
    tokens::Tokens,
    transport::Transport,
};

pub async fn login(
    State(accounts): State<Accounts>,
    State(refresh_tokens): State<Arc<dyn RefreshStore>>,
    State(tokens): State<Arc<Tokens>>,
    State(transport): State<Transport>,
    from: ClientAddr,
    device: Device,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    let user = accounts
        .authenticate_on(LoginAttempt::try_from(body)?, from, &device)
        .await?;
    let refresh = refresh_tokens.issue(user.id).await?;
    // The role was read before bcrypt ran, and a demotion may have come in
    // since, its revocation finding no family of this login yet (issue 21):
    // read the role again now that the family exists. A demotion after this
    // read revokes the family (and, with a denylist, denies its tokens).
    let Some(user) = accounts.users.by_id(user.id).await? else {
        refresh_tokens.revoke_family(&refresh.family_id).await?;
        return Err(ApiError::InvalidCredentials);
    };
    tracing::info!(user_id = user.id, family = %refresh.family_id, "logged in");
    let answer = token_response(&tokens, transport, &user, refresh)?;
    Ok((device::remember(&accounts, &user), answer).into_response())
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
