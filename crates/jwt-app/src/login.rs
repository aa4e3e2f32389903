//! `POST /login`: an access token and the first refresh token of a new family.

use auth_core::{
    ApiError, ApiJson, User,
    client_addr::ClientAddr,
    device::{self, Device},
    openapi::ErrorBody,
    validation::{CredentialsBody, LoginAttempt},
};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::{
    refresh::Refresher,
    refresh_tokens::IssuedRefresh,
    tokens::Tokens,
    transport::{TokenPair, TokensInCookies, Transport},
};

// One handler per transport, so that each document says what its server
// answers; both run `login`.

#[utoipa::path(
    post,
    path = "/login",
    tag = "tokens",
    request_body = CredentialsBody,
    responses(
        (status = 200, description = "Logged in: an access token and the first refresh token of a new login", body = TokenPair,
            links(
                ("Refresh" = (operation_id = "from_body", request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
                ("Logout" = (operation_id = "logout", request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
            )),
        (status = 401, description = "Unknown email or wrong password, one answer for both (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being hashed (`busy`, with `Retry-After`), or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn tokens_in_body(
    State(app): State<Refresher>,
    from: ClientAddr,
    device: Device,
    headers: HeaderMap,
    body: ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    login(app, from, device, &headers, body).await
}

#[utoipa::path(
    post,
    path = "/login",
    tag = "tokens",
    request_body = CredentialsBody,
    responses(
        (status = 200, description = "Logged in: the access and refresh tokens in HttpOnly cookies (`Set-Cookie`)", body = TokensInCookies),
        (status = 401, description = "Unknown email or wrong password, one answer for both (`invalid_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being hashed (`busy`, with `Retry-After`), or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn tokens_in_cookies(
    State(app): State<Refresher>,
    from: ClientAddr,
    device: Device,
    headers: HeaderMap,
    body: ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    login(app, from, device, &headers, body).await
}

async fn login(
    Refresher {
        accounts,
        refresh: refresh_tokens,
        tokens,
        transport,
        ..
    }: Refresher,
    from: ClientAddr,
    device: Device,
    headers: &HeaderMap,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<Response, ApiError> {
    let user = accounts
        .authenticate_on(LoginAttempt::try_from(body)?, from, &device)
        .await?;
    // Kept with the family for "your logins" (`GET /account/logins`).
    let user_agent = auth_core::lifecycle::user_agent(headers);
    let refresh = refresh_tokens.issue(user.id, &user_agent).await?;
    // The role was read before bcrypt ran, and a demotion may have come in
    // since, its revocation finding no family of this login yet (issue 21):
    // read the role again now that the family exists. A demotion after this
    // read revokes the family (and, with a denylist, denies its tokens).
    // The same read tells whether a sign-out everywhere or a password
    // change ran since the password check: then this login may have been
    // missed by it, and undoes itself rather than survive it.
    let checked_epoch = user.logins_epoch;
    let Some(user) = accounts.users.by_id(user.id).await? else {
        refresh_tokens.revoke_family(&refresh.family_id).await?;
        return Err(ApiError::InvalidCredentials);
    };
    if user.logins_epoch != checked_epoch {
        refresh_tokens.revoke_family(&refresh.family_id).await?;
        return Err(auth_core::lifecycle::login_ended_meanwhile());
    }
    tracing::info!(user_id = user.id, family = %refresh.family_id, "logged in");
    let answer = token_response(&tokens, transport, &user, refresh, &[])?;
    Ok((device::remember(&accounts, &user), answer).into_response())
}

/// The answer of login and refresh (body or cookies: [`crate::transport`]),
/// marked uncacheable as RFC 6749 §5.1 asks of any response that carries
/// tokens; `extra` fields join the body (a password change's `logins_ended`).
pub(crate) fn token_response(
    tokens: &Tokens,
    transport: Transport,
    user: &User,
    refresh: IssuedRefresh,
    extra: &[(&str, serde_json::Value)],
) -> Result<Response, ApiError> {
    let access = tokens.issue(user, &refresh.family_id)?;
    let mut res = transport.issued(&access, &refresh, extra);
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}
