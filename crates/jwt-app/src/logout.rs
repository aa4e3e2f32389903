//! `POST /logout`: ends the login named by whatever credential comes with
//! it, and always clears the token cookies.
//!
//! A logout must work when the access token has expired (a user who clicks
//! "log out" after a quarter of an hour) or is gone (a page that kept only
//! its refresh token): otherwise the refresh token, the credential that
//! lives for days, stays alive on a shared computer. So the route sits
//! outside the bearer check: an access token, expired or not, names its
//! login by its signature; a refresh token (in the body in the header
//! transport, in its cookie in the cookie transport) names its login by its
//! record. As RFC 7009 asks of a revocation endpoint, a refresh token that is
//! unknown or already dead is no error: there is nothing left to end, and the
//! answer must not read as "still logged in".

use std::sync::Arc;

use auth_core::{ApiError, openapi::ErrorBody};
use axum::{
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    bearer,
    refresh_tokens::{RefreshStore, RefreshToken},
    revocation::Revocation,
    tokens::Tokens,
    transport::{Presented, Transport},
    verification::{Claims, InvalidToken},
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LogoutBody {
    refresh_token: Option<String>,
}

/// Revokes the refresh family of the access token and that of the refresh
/// token, if it is the same user's (or comes alone). Their access tokens are
/// denied only when a denylist is configured: without one they keep working
/// until `exp`, which is the logout loophole of stateless tokens. In cookie
/// mode the answer removes every token cookie, whatever else happened.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "tokens",
    security(("login" = []), ()),
    request_body(content = Option<LogoutBody>, description = "Optional: the refresh token of the login to end (header transport; with cookies it is read from its cookie)"),
    responses(
        (status = 204, description = "The login is ended (its refresh family revoked; with a denylist, its access tokens denied); token cookies cleared"),
        (status = 401, description = "No credential, or none that names a login (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "A store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn logout(
    State(tokens): State<Arc<Tokens>>,
    State(refresh): State<Arc<dyn RefreshStore>>,
    State(revocation): State<Revocation>,
    State(transport): State<Transport>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ended = end_the_login(&tokens, &*refresh, &revocation, transport, &headers, body).await;
    let status = match ended {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(Refusal::Api(e)) => e.into_response(),
        Err(Refusal::NoCredential) => bearer::missing(transport.challenges()),
        Err(Refusal::Invalid(why)) => bearer::invalid(why, transport.challenges()),
    };
    // Cleared on every answer: a logout that fails must not leave the
    // browser holding what it asked to be rid of.
    (transport.cleared(), status).into_response()
}

enum Refusal {
    /// Neither an access token nor a refresh token came.
    NoCredential,
    /// An access token that is not ours (a bad signature, another issuer),
    /// and no refresh token beside it.
    Invalid(InvalidToken),
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

async fn end_the_login(
    tokens: &Tokens,
    refresh: &dyn RefreshStore,
    revocation: &Revocation,
    transport: Transport,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(), Refusal> {
    let body: Option<LogoutBody> = auth_core::json::optional(headers, body)?;
    let access = match transport.access_token(headers) {
        Ok(Presented::Token(token)) => Some(tokens.verify_expired_too(&token)),
        Ok(Presented::Missing) => None,
        Err(why) => Some(Err(why)),
    };
    let presented_refresh = if transport.in_cookies() {
        transport.refresh_token(headers).ok().flatten()
    } else {
        body.and_then(|b| b.refresh_token)
    };
    let claims: Option<Claims> = match access {
        Some(Ok(claims)) => Some(claims),
        // A bad token beside a refresh token: the refresh token still names
        // a login to end.
        Some(Err(why)) if presented_refresh.is_none() => return Err(Refusal::Invalid(why)),
        Some(Err(_)) | None => None,
    };
    if claims.is_none() && presented_refresh.is_none() {
        return Err(Refusal::NoCredential);
    }
    let user_id = match &claims {
        Some(claims) => Some(claims.principal().map_err(Refusal::Invalid)?.user_id),
        None => None,
    };

    let mut families: Vec<String> = claims.iter().map(|c| c.sid.clone()).collect();
    if let Some(presented) = presented_refresh {
        let record = match RefreshToken::parse(&presented) {
            Some(token) => refresh.find(&token).await?,
            None => None,
        };
        match record {
            // Alone, or the same user's as the access token: its login ends.
            Some(record) if user_id.is_none_or(|id| id == record.user_id) => {
                families.push(record.family_id);
            }
            // Someone else's: not ours to revoke, and saying which would
            // tell the caller whether a stolen token is live.
            Some(_) => tracing::warn!(?user_id, "logout with a foreign refresh token"),
            // Unknown, malformed or swept: nothing left to end (RFC 7009).
            None => {}
        }
    }
    // The access token's login and the refresh token's are most often one.
    families.dedup();
    revocation.end_logins(&families).await?;
    if let Some(claims) = &claims {
        revocation.deny_token(&claims.jti, claims.exp).await?;
    }
    tracing::info!(?user_id, families = families.len(), "logged out");
    Ok(())
}
