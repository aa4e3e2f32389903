//! `POST /logout`: revokes the login's refresh family and, with a denylist,
//! the login itself: every access token it was issued.

use auth_core::{ApiError, Principal};
use axum::{
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use std::sync::Arc;

use crate::{
    bearer::VerifiedToken,
    refresh_tokens::{RefreshStore, RefreshToken},
    revocation::Revocation,
    transport::Transport,
};

#[derive(Deserialize)]
pub struct LogoutBody {
    refresh_token: Option<String>,
}

/// Revokes the refresh family of the access token, and that of the refresh
/// token sent in the body if it is the same user's. Their access tokens are
/// denied only when a denylist is configured: without one they keep working
/// until `exp`, which is the logout loophole of stateless tokens. In cookie
/// mode the answer also removes both cookies.
pub async fn logout(
    State(refresh): State<Arc<dyn RefreshStore>>,
    State(revocation): State<Revocation>,
    State(transport): State<Transport>,
    who: Principal,
    token: VerifiedToken,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body: Option<LogoutBody> = auth_core::json::optional(&headers, body)?;
    let mut families = vec![token.sid.clone()];
    if let Some(presented) = body.and_then(|b| b.refresh_token) {
        let record = match RefreshToken::parse(&presented) {
            Some(refresh_token) => refresh.find(&refresh_token).await?,
            None => None,
        };
        match record {
            Some(record) if record.user_id == who.user_id => {
                if record.family_id != token.sid {
                    families.push(record.family_id);
                }
            }
            // Someone else's, unknown or malformed: not ours to revoke, and
            // saying which would tell the caller whether a stolen token is live.
            _ => tracing::warn!(user_id = who.user_id, "logout with a foreign refresh token"),
        }
    }
    revocation.end_logins(&families).await?;
    revocation.deny_token(&token.jti, token.exp).await?;
    tracing::info!(
        user_id = who.user_id,
        families = families.len(),
        "logged out"
    );
    Ok((transport.cleared(), StatusCode::NO_CONTENT).into_response())
}
