//! The access-token check in front of the protected routes, and, for the
//! header transport, the RFC 6750 `WWW-Authenticate` challenges that tell a
//! client what went wrong. A token in a cookie is a bearer token too
//! (whoever holds it may use it); only where it travels differs
//! ([`crate::transport`]).

use auth_core::{ApiError, error::ErrorCode};
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};

use std::sync::Arc;

use crate::{
    denylist::{Checked, Denylist},
    revocation::Revocation,
    tokens::Tokens,
    transport::{Presented, Transport},
    verification::{Claims, InvalidToken},
};

/// The verified token of the request, for handlers that act on the token
/// itself (logout) rather than on the user.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub jti: String,
    pub exp: i64,
    /// The refresh family the token was issued with.
    pub sid: String,
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        auth_core::principal::left_by_the_check(parts)
    }
}

/// Why a token was not let through.
#[derive(Debug)]
pub enum Refused {
    /// A bad, expired or revoked token: 401 with the `invalid_token` challenge.
    Invalid(InvalidToken),
    /// What the check needs cannot be reached (a key not fetched yet, the
    /// denylist down): fail closed, 503, and no verdict on the token.
    Unavailable(ApiError),
}

impl From<InvalidToken> for Refused {
    fn from(why: InvalidToken) -> Self {
        Self::Invalid(why)
    }
}

/// Where a verifier gets the key for a token. jwt-app holds its own; the
/// resource server looks up the one the token's `kid` names among those it
/// fetched. The rules they check with are the same ([`crate::verification`]).
#[async_trait::async_trait]
pub trait AccessTokenVerifier: Send + Sync {
    async fn verify(&self, token: &str) -> Result<Claims, Refused>;
}

#[async_trait::async_trait]
impl AccessTokenVerifier for Tokens {
    async fn verify(&self, token: &str) -> Result<Claims, Refused> {
        Ok(Tokens::verify(self, token)?)
    }
}

/// jwt-app's check in front of its protected routes: [`check`] with its own
/// key, denylist and transport.
pub async fn require_bearer(
    State(tokens): State<Arc<Tokens>>,
    State(revocation): State<Revocation>,
    State(transport): State<Transport>,
    req: Request,
    next: Next,
) -> Response {
    check(tokens.as_ref(), revocation.denylist(), transport, req, next).await
}

/// Verifies the access token `transport` carries, asks the denylist if
/// there is one, then lets the request through with its
/// [`auth_core::Principal`] and [`VerifiedToken`] in the extensions. The one
/// check of an access token, wherever it runs (jwt-app, the resource server).
pub async fn check(
    verifier: &dyn AccessTokenVerifier,
    denylist: Option<&dyn Denylist>,
    transport: Transport,
    mut req: Request,
    next: Next,
) -> Response {
    let challenges = transport.challenges();
    let invalid = |why| invalid(why, challenges);
    let token = match transport.access_token(req.headers()) {
        Ok(Presented::Token(token)) => token,
        Ok(Presented::Missing) => return missing(challenges),
        Err(why) => return invalid(why),
    };
    let claims = match verifier.verify(&token).await {
        Ok(claims) => claims,
        Err(Refused::Invalid(why)) => return invalid(why),
        Err(Refused::Unavailable(e)) => return e.into_response(),
    };
    let principal = match claims.principal() {
        Ok(principal) => principal,
        Err(why) => return invalid(why),
    };
    if let Some(denylist) = denylist {
        let checked = Checked {
            jti: &claims.jti,
            sid: &claims.sid,
            user_id: principal.user_id,
            iat: claims.iat,
        };
        match denylist.is_denied(&checked).await {
            Ok(false) => {}
            Ok(true) => return invalid(InvalidToken("the token was revoked by a logout")),
            // Fail closed: a token we cannot check is not let through.
            Err(e) => return ApiError::store_down("denylist", e).into_response(),
        }
    }
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(VerifiedToken {
        jti: claims.jti,
        exp: claims.exp,
        sid: claims.sid,
    });
    let mut res = next.run(req).await;
    if challenges {
        challenge_inner_errors(&mut res);
    }
    res
}

/// Gives the handlers' own 401 and 403 the challenge a bearer client expects.
fn challenge_inner_errors(res: &mut Response) {
    if res.headers().contains_key(header::WWW_AUTHENTICATE) {
        return;
    }
    let code = res.extensions().get::<ErrorCode>().copied();
    let challenge = match (res.status(), code) {
        (StatusCode::FORBIDDEN, Some(ErrorCode("forbidden"))) => {
            "Bearer error=\"insufficient_scope\""
        }
        // The token verified but the handler still refused it (say, the account is gone).
        (StatusCode::UNAUTHORIZED, _) => "Bearer error=\"invalid_token\"",
        _ => return,
    };
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
}

/// 401 for no credential at all, with the bare `Bearer` challenge (RFC 6750 §3.1).
pub(crate) fn missing(challenges: bool) -> Response {
    let mut res = ApiError::unauthorized().into_response();
    if challenges {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

/// 401 for a bad, expired or revoked token, with the `invalid_token` challenge.
pub(crate) fn invalid(why: InvalidToken, challenges: bool) -> Response {
    let description = why.description();
    let mut res = ApiError::Unauthorized(format!("the access token is not valid: {description}"))
        .into_response();
    if !challenges {
        return res;
    }
    let challenge = HeaderValue::from_str(&format!(
        "Bearer error=\"invalid_token\", error_description=\"{description}\""
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Bearer error=\"invalid_token\""));
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    res
}
