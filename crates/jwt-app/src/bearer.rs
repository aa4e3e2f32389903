//! The bearer-token check in front of the protected routes, and the RFC 6750
//! `WWW-Authenticate` challenges that tell a client what went wrong.

use auth_core::{ApiError, error::ErrorCode};
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, tokens::InvalidToken};

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

/// Our tokens are well under 1 KiB; anything this big is refused on its
/// length alone, before any base64 or signature work is spent on it.
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024;

enum Credential {
    /// No bearer credential at all (or another scheme, RFC 6750 §3.1): the
    /// challenge carries no error code.
    Missing,
    Present(String),
}

fn bearer_credential(headers: &HeaderMap) -> Result<Credential, InvalidToken> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Credential::Missing);
    };
    // The scheme and a space on top of the credential itself.
    if value.len() > MAX_CREDENTIAL_BYTES + "Bearer ".len() {
        return Err(InvalidToken("the credential is over 8 KiB"));
    }
    let value = value
        .to_str()
        .map_err(|_| InvalidToken("the Authorization header is not ASCII"))?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    // Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`.
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Credential::Missing);
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(InvalidToken("the Bearer credential is empty"));
    }
    if token.len() > MAX_CREDENTIAL_BYTES {
        return Err(InvalidToken("the credential is over 8 KiB"));
    }
    Ok(Credential::Present(token.to_owned()))
}

/// Verifies the bearer token, then lets the request through with its
/// [`auth_core::Principal`] and [`VerifiedToken`] in the extensions.
pub async fn require_bearer(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = match bearer_credential(req.headers()) {
        Ok(Credential::Present(token)) => token,
        Ok(Credential::Missing) => return missing(),
        Err(why) => return invalid(why),
    };
    let claims = match app.tokens.verify(&token) {
        Ok(claims) => claims,
        Err(why) => return invalid(why),
    };
    if let Some(denylist) = &app.denylist {
        match denylist.is_denied(&claims.jti, &claims.sid).await {
            Ok(false) => {}
            Ok(true) => return invalid(InvalidToken("the token was revoked by a logout")),
            // Fail closed: a token we cannot check is not let through.
            Err(e) => return ApiError::store_down("denylist", e).into_response(),
        }
    }
    let principal = match claims.principal() {
        Ok(principal) => principal,
        Err(why) => return invalid(why),
    };
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(VerifiedToken {
        jti: claims.jti,
        exp: claims.exp,
        sid: claims.sid,
    });
    let mut res = next.run(req).await;
    challenge_inner_errors(&mut res);
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

fn missing() -> Response {
    let mut res = ApiError::unauthorized().into_response();
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

fn invalid(why: InvalidToken) -> Response {
    let description = why.description();
    let mut res = ApiError::Unauthorized(format!("the access token is not valid: {description}"))
        .into_response();
    let challenge = HeaderValue::from_str(&format!(
        "Bearer error=\"invalid_token\", error_description=\"{description}\""
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Bearer error=\"invalid_token\""));
    res.headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Option<String>, InvalidToken> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).map_err(|_| InvalidToken("bad header"))?,
        );
        bearer_credential(&headers).map(|c| match c {
            Credential::Missing => None,
            Credential::Present(t) => Some(t),
        })
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        assert_eq!(parse("Bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parse("bearer abc"), Ok(Some("abc".into())));
        assert_eq!(parse("BEARER  abc "), Ok(Some("abc".into())));
    }

    #[test]
    fn other_schemes_count_as_missing_and_empty_tokens_as_invalid() {
        assert_eq!(parse("Basic dXNlcjpwYXNz"), Ok(None));
        assert_eq!(parse("Bearerabc"), Ok(None));
        assert!(parse("Bearer").is_err());
        assert!(parse("Bearer   ").is_err());
    }

    #[test]
    fn a_credential_over_8_kib_is_invalid_whatever_it_holds() {
        let limit = "a".repeat(MAX_CREDENTIAL_BYTES);
        assert_eq!(parse(&format!("Bearer {limit}")), Ok(Some(limit.clone())));
        let over = format!("Bearer {limit}b");
        assert_eq!(
            parse(&over),
            Err(InvalidToken("the credential is over 8 KiB"))
        );
        let spaced = format!("Bearer {}{limit}", " ".repeat(4096));
        assert!(parse(&spaced).is_err(), "padding does not buy room");
    }
}
