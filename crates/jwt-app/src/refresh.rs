//! `POST /refresh`: spends a refresh token for a new pair (rotation). The
//! token comes in the JSON body or, with `TOKEN_TRANSPORT=cookie`, in its
//! cookie; what happens to it is the same.

use auth_core::{ApiError, ApiJson, openapi::ErrorBody};
use axum::{
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    response::{AppendHeaders, IntoResponse, Response},
};
use serde::{Deserialize, de::IgnoredAny};

use std::sync::Arc;

use auth_core::Accounts;

use crate::{
    login::token_response,
    refresh_tokens::{RefreshStore, RefreshToken, Rotation, invalid_grant, replayed},
    revocation::Revocation,
    tokens::Tokens,
    transport::{TokenPair, TokensInCookies, Transport},
};

/// What spending a refresh token takes: the stores to rotate it in and to end
/// a replayed login with, the user's role as the database holds it now, and
/// the signer and transport of the new pair.
#[derive(Clone)]
pub struct Refresher {
    pub accounts: Accounts,
    pub refresh: Arc<dyn RefreshStore>,
    pub revocation: Revocation,
    pub tokens: Arc<Tokens>,
    pub transport: Transport,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefreshBody {
    refresh_token: String,
}

/// The body a cookie client may send along: anything but a refresh token.
#[derive(Deserialize)]
pub struct CookieRefreshBody {
    refresh_token: Option<IgnoredAny>,
}

/// The header transport: `{"refresh_token"}`.
#[utoipa::path(
    post,
    path = "/refresh",
    tag = "tokens",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "A new pair; the refresh token sent is spent", body = TokenPair,
            links(
                ("Refresh" = (operation_id = "from_body", request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
                ("Logout" = (operation_id = "logout", request_body = json!({"refresh_token": "$response.body#/refresh_token"}))),
            )),
        (status = 401, description = "Unknown, expired, revoked or already spent: a replay revokes the whole login (`invalid_grant`)", body = ErrorBody),
        (status = 503, description = "A store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn from_body(
    State(app): State<Refresher>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    app.spend(&body.refresh_token).await
}

/// The cookie transport: the refresh-token cookie, which the browser sends
/// to this path only.
#[utoipa::path(
    post,
    path = "/refresh",
    tag = "tokens",
    responses(
        (status = 200, description = "New tokens in their cookies; the refresh token sent is spent", body = TokensInCookies),
        (status = 400, description = "A body that is not JSON, or one with a `refresh_token`: the token travels in its cookie (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "No refresh-token cookie, or an unknown, expired, revoked or spent one (`invalid_grant`)", body = ErrorBody),
        (status = 503, description = "A store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn from_cookie(
    State(app): State<Refresher>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body: Option<CookieRefreshBody> = auth_core::json::optional(&headers, body)?;
    // A refresh token in a body was held by page code, which is what this
    // transport keeps it from: say so rather than take it, or ignore it and
    // leave the client wondering which token was spent.
    if body.is_some_and(|b| b.refresh_token.is_some()) {
        return Err(ApiError::InvalidInput(
            "this server takes the refresh token from its HttpOnly cookie \
             (TOKEN_TRANSPORT=cookie), not from the body"
                .into(),
        ));
    }
    let presented = match app.transport.refresh_token(&headers) {
        Ok(presented) => presented,
        // Sent twice, most likely: a sibling subdomain tossed a copy with
        // `Domain=<parent>` (a `__Secure-` name allows it), and as long as
        // it stays every refresh would fail (issue 21). Refused, and the
        // tossed copies are expired; this server's own host-only cookie is
        // left alone, so the next refresh works.
        Err(_) => {
            let expire = expire_tossed_copies(app.transport.refresh_cookie(), &headers);
            return Ok((AppendHeaders(expire), invalid_grant()).into_response());
        }
    };
    let presented = presented
        .ok_or_else(|| ApiError::InvalidGrant("no refresh-token cookie; log in again".into()))?;
    app.spend(&presented).await
}

impl Refresher {
    async fn spend(&self, presented: &str) -> Result<Response, ApiError> {
        let token = RefreshToken::parse(presented).ok_or_else(invalid_grant)?;
        let rotated = match self.refresh.rotate(&token).await? {
            Rotation::Rotated(rotated) => rotated,
            Rotation::Replayed(record) => {
                // The store revoked the family; a thief may hold the login's
                // access tokens as well as its refresh token: they go with it.
                self.revocation.deny_logins(&[record.family_id]).await?;
                return Err(replayed());
            }
        };
        // The role is read again here, not copied from the old access token:
        // this is the moment a role change reaches the token.
        let Some(user) = self.accounts.users.by_id(rotated.user_id).await? else {
            self.refresh
                .revoke_family(&rotated.issued.family_id)
                .await?;
            return Err(ApiError::InvalidGrant(
                "the account of this refresh token no longer exists".into(),
            ));
        };
        token_response(&self.tokens, self.transport, &user, rotated.issued, &[])
    }
}

/// `Set-Cookie`s that expire a cookie `name` set by another host of the site
/// with `Domain=` a parent of this one (each parent of `Host`), on either
/// path that reaches `/refresh` or `/logout`. A deletion with a `Domain` never touches
/// this server's host-only cookie.
fn expire_tossed_copies(name: &str, headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(auth_core::host::authority)
        .map(|(name, _)| name)
        .filter(|name| name.parse::<std::net::IpAddr>().is_err())
        .unwrap_or_default();
    let secure = if name.starts_with("__Secure-") {
        "; Secure"
    } else {
        ""
    };
    let parents = host
        .match_indices('.')
        .map(|(i, _)| &host[i + 1..])
        .filter(|parent| parent.contains('.'));
    parents
        .flat_map(|parent| {
            ["/refresh", "/logout", "/"].map(|path| {
                format!(
                    "{name}=; Domain={parent}; Path={path}; Max-Age=0; HttpOnly; \
                     SameSite=Strict{secure}"
                )
            })
        })
        .filter_map(|cookie| HeaderValue::from_str(&cookie).ok())
        .map(|cookie| (header::SET_COOKIE, cookie))
        .collect()
}
