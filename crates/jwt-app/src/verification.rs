//! What an access token claims, and what every verifier of one insists on:
//! jwt-app with its own key, and the resource server with the public key it
//! fetched (`crates/resource-server`). One set of pinned rules, so that a
//! token one of them refuses the other refuses too.

use std::time::Duration;

use auth_core::{Principal, Role};
use jsonwebtoken::{DecodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::keys::JwtAlg;

/// More than a few seconds of leeway turns "expired" into "expired a while
/// ago"; jsonwebtoken's default of 60 s is the classic surprise.
pub const MAX_LEEWAY_SECS: u64 = 5;

/// The `typ` header of an access token (RFC 9068 §2.1): it tells our access
/// tokens apart from any other JWT signed with the same key.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string as RFC 7519 wants.
    pub sub: String,
    pub email: String,
    /// Copied at issue time: a role change reaches it only at the next refresh.
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// Unique per token, so that one token can be denied without the others.
    pub jti: String,
    /// The refresh family this token was issued with, so that a logout that
    /// sends no refresh token can still revoke the family.
    pub sid: String,
}

impl Claims {
    pub fn principal(&self) -> Result<Principal, InvalidToken> {
        let user_id = self
            .sub
            .parse()
            .map_err(|_| InvalidToken("the sub claim is not a user id"))?;
        Ok(Principal {
            user_id,
            email: self.email.clone(),
            role_claim: Some(self.role),
        })
    }
}

/// Why a token was refused, in words fit for `error_description`: plain
/// ASCII without quotes or backslashes (RFC 6750 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken(pub &'static str);

impl InvalidToken {
    pub fn description(self) -> &'static str {
        self.0
    }
}

/// The pinned rules: one algorithm, our issuer and audience, `exp` required,
/// `nbf` checked, a leeway of at most [`MAX_LEEWAY_SECS`], `typ: at+jwt`.
#[derive(Debug, Clone)]
pub struct Verification {
    alg: JwtAlg,
    validation: Validation,
    /// The same rules with `exp` required but not enforced: a logout ends
    /// the login an expired token names (its signature still proves whose).
    expired_too: Validation,
    leeway_secs: u64,
}

impl Verification {
    /// The rules for tokens signed with `alg` by `issuer` for `audience`;
    /// refused when the leeway is over the limit or a name is empty.
    pub fn new(
        alg: JwtAlg,
        issuer: &str,
        audience: &str,
        leeway: Duration,
    ) -> anyhow::Result<Self> {
        if leeway > Duration::from_secs(MAX_LEEWAY_SECS) {
            anyhow::bail!(
                "JWT_LEEWAY is {leeway:?}; at most {MAX_LEEWAY_SECS} s is allowed, \
                 or expired tokens keep working"
            );
        }
        if issuer.is_empty() || audience.is_empty() {
            anyhow::bail!("JWT_ISSUER and JWT_AUDIENCE must not be empty");
        }
        // Only the configured algorithm: a token must not choose how it is checked.
        let mut validation = Validation::new(alg.algorithm());
        validation.leeway = leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // jsonwebtoken checks iss and aud only when present unless they are required.
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut expired_too = validation.clone();
        expired_too.validate_exp = false;
        Ok(Self {
            alg,
            validation,
            expired_too,
            leeway_secs: leeway.as_secs(),
        })
    }

    pub fn alg(&self) -> JwtAlg {
        self.alg
    }

    /// How long past `exp` a token is still accepted.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway_secs
    }

    /// The token's header, read without verifying anything, if it names the
    /// accepted algorithm: a verifier that must look up the key (by `kid`)
    /// refuses a token of another algorithm before any lookup. The header's
    /// own `jwk` and `jku` are never followed: a token does not pick its key.
    pub fn header(&self, token: &str) -> Result<Header, InvalidToken> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| self.refusal(token, &e))?;
        if header.alg != self.alg.algorithm() {
            return Err(InvalidToken(
                "the token is not signed with the accepted algorithm",
            ));
        }
        Ok(header)
    }

    /// Checks the signature with `key`, then every rule, and reads the claims.
    pub fn verify(&self, token: &str, key: &DecodingKey) -> Result<Claims, InvalidToken> {
        self.check(token, key, &self.validation)
    }

    /// [`Self::verify`], but a token past its `exp` passes: for a logout,
    /// which must end the login of an expired token too (or a user who
    /// clicks "log out" after a quarter of an hour leaves its refresh token
    /// alive). Never for letting a request through.
    pub fn verify_expired_too(
        &self,
        token: &str,
        key: &DecodingKey,
    ) -> Result<Claims, InvalidToken> {
        self.check(token, key, &self.expired_too)
    }

    fn check(
        &self,
        token: &str,
        key: &DecodingKey,
        validation: &Validation,
    ) -> Result<Claims, InvalidToken> {
        // Each claim as a loose JSON value first: decoding straight into
        // `Claims` would fail on a missing `exp` before jsonwebtoken's
        // validation could say so (it decodes, then validates).
        let data = jsonwebtoken::decode::<PresentedClaims>(token, key, validation)
            .map_err(|e| self.refusal(token, &e))?;
        // jsonwebtoken's Validation has no say on `typ`; RFC 9068 §4 lets
        // `application/at+jwt` stand for `at+jwt`, and media types ignore case.
        let typ = data.header.typ.as_deref().unwrap_or_default();
        let typed = typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
            || typ
                .get(..APPLICATION.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(APPLICATION))
                && typ[APPLICATION.len()..].eq_ignore_ascii_case(ACCESS_TOKEN_TYP);
        if !typed {
            return Err(InvalidToken("the token is not typed at+jwt"));
        }
        data.claims
            .into_claims()
            .map_err(|_| InvalidToken("the token's claims are not as expected"))
    }

    fn refusal(&self, token: &str, e: &jsonwebtoken::errors::Error) -> InvalidToken {
        // jsonwebtoken cannot even parse an `alg` it does not know (`none`)
        // and reports a parse error: name the real reason.
        if header_alg(token).is_some_and(|alg| alg != self.alg.name()) {
            InvalidToken("the token is not signed with the accepted algorithm")
        } else {
            InvalidToken(describe(e.kind()))
        }
    }
}

const APPLICATION: &str = "application/";

/// The claims as a token presents them: each one any JSON value, or absent.
/// Not a `serde_json::Value` for the whole: its map cost an allocation per
/// claim, and a second decoding into `Claims`, on every request (issue 12).
#[derive(Deserialize)]
struct PresentedClaims {
    sub: Option<serde_json::Value>,
    email: Option<serde_json::Value>,
    role: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
    exp: Option<serde_json::Value>,
    iss: Option<serde_json::Value>,
    aud: Option<serde_json::Value>,
    jti: Option<serde_json::Value>,
    sid: Option<serde_json::Value>,
}

impl PresentedClaims {
    /// `Claims`, if every claim is there with the type it must have.
    fn into_claims(self) -> Result<Claims, serde_json::Error> {
        fn claim<T: serde::de::DeserializeOwned>(
            v: Option<serde_json::Value>,
        ) -> Result<T, serde_json::Error> {
            serde_json::from_value(v.unwrap_or_default())
        }
        Ok(Claims {
            sub: claim(self.sub)?,
            email: claim(self.email)?,
            role: claim(self.role)?,
            iat: claim(self.iat)?,
            exp: claim(self.exp)?,
            iss: claim(self.iss)?,
            aud: claim(self.aud)?,
            jti: claim(self.jti)?,
            sid: claim(self.sid)?,
        })
    }
}

/// The `alg` a token's header names, read without verifying anything.
fn header_alg(token: &str) -> Option<String> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

fn describe(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidSignature => "the signature does not match",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "the token is not signed with the accepted algorithm"
        }
        ErrorKind::InvalidIssuer => "the token was issued by someone else",
        ErrorKind::InvalidAudience => "the token is meant for another audience",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "iss" => "the token has no iss claim",
            "aud" => "the token has no aud claim",
            "sub" => "the token has no sub claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => {
            "the token's claims are not as expected"
        }
        _ => "the token is malformed",
    }
}
