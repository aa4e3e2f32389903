//! The public half of the signing key as a JWK Set (RFC 7517), both ways:
//! what `GET /.well-known/jwks.json` publishes, and how a verifier elsewhere
//! (the resource server) reads it back into keys. With HS256 there is
//! nothing to publish: the secret that verifies a token also signs one.

use std::{collections::HashMap, sync::Arc, time::Duration};

use auth_core::{ApiError, middleware::cacheable};
use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{
        AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
    },
};

use crate::keys::Keys;

/// The path every verifier looks for (RFC 8414 §3's well-known location).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// How long a cache may keep the set. A key rotation reaches a verifier
/// that honours it within this; ours refetch at once on an unknown `kid`.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// An Ed25519 public key is 32 bytes (RFC 8032 §5.1.5).
const ED25519_PUBLIC_KEY_BYTES: usize = 32;

/// The key set this server publishes: its one public key, or `None` with
/// HS256.
#[derive(Clone)]
pub struct PublishedKeys(Option<Arc<JwkSet>>);

impl PublishedKeys {
    /// The public JWK of `keys`, its `kid` the RFC 7638 thumbprint: the same
    /// key always gets the same `kid`, on every instance and after a restart.
    pub fn of(keys: &Keys) -> anyhow::Result<Self> {
        if keys.algorithm != Algorithm::EdDSA {
            return Ok(Self(None));
        }
        // From the verifying key only: the JWK can hold nothing secret.
        let mut jwk = Jwk::from_decoding_key(&keys.decoding, Some(Algorithm::EdDSA))
            .map_err(|e| anyhow::anyhow!("cannot describe the public key as a JWK: {e}"))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| anyhow::anyhow!("cannot compute the key's thumbprint: {e}"))?;
        jwk.common.key_id = Some(kid);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self(Some(Arc::new(JwkSet { keys: vec![jwk] }))))
    }

    /// The `kid` access tokens carry in their header, if there is a key to publish.
    pub fn kid(&self) -> Option<&str> {
        self.0.as_ref()?.keys.first()?.common.key_id.as_deref()
    }
}

/// `GET /.well-known/jwks.json`: public, the same for everyone, cacheable.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "tokens",
    responses(
        (status = 200, description = "The public key that verifies access tokens, as a JWK Set (RFC 7517), with `JWT_ALG=EdDSA`", body = Object),
        (status = 404, description = "HS256: a shared secret cannot be published (`not_found`)", body = auth_core::openapi::ErrorBody),
    )
)]
pub async fn jwks(State(published): State<PublishedKeys>) -> Response {
    match &published.0 {
        Some(set) => (cacheable(MAX_AGE), Json(set.as_ref().clone())).into_response(),
        None => ApiError::NotFound(
            "JWT_ALG is HS256: its key is a shared secret, and whoever can verify a token with it \
             can also mint one, so there is no key to publish; run with JWT_ALG=EdDSA for a \
             public key"
                .into(),
        )
        .into_response(),
    }
}

/// The keys a verifier found in a JWK Set, by `kid`.
pub type VerifyingKeys = HashMap<String, Arc<DecodingKey>>;

/// A JWK Set that gave no usable key.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the answer is not a JWK Set: {0}")]
    NotASet(serde_json::Error),
    #[error("the JWK Set holds no Ed25519 signing key with a kid")]
    NoUsableKey,
}

/// The Ed25519 signature keys of a JWK Set, by `kid`. Any other key (another
/// type or curve, meant for encryption or for another algorithm, without a
/// `kid`, or malformed) is skipped: it could only widen what verifies, and
/// one key this verifier does not understand must not hide the others.
pub fn verifying_keys(body: &[u8]) -> Result<VerifyingKeys, JwksError> {
    #[derive(serde::Deserialize)]
    struct AnySet {
        keys: Vec<serde_json::Value>,
    }
    let set: AnySet = serde_json::from_slice(body).map_err(JwksError::NotASet)?;
    let keys: VerifyingKeys = set
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| Some((jwk.common.key_id.clone()?, ed25519_key(&jwk)?)))
        .map(|(kid, key)| (kid, Arc::new(key)))
        .collect();
    if keys.is_empty() {
        return Err(JwksError::NoUsableKey);
    }
    Ok(keys)
}

fn ed25519_key(jwk: &Jwk) -> Option<DecodingKey> {
    let AlgorithmParameters::OctetKeyPair(okp) = &jwk.algorithm else {
        return None;
    };
    let for_signatures = matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    let for_eddsa = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::EdDSA));
    let x = URL_SAFE_NO_PAD.decode(&okp.x).ok()?;
    if okp.curve != EllipticCurve::Ed25519
        || !for_signatures
        || !for_eddsa
        || x.len() != ED25519_PUBLIC_KEY_BYTES
    {
        return None;
    }
    Some(DecodingKey::from_ed_der(&x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::{CommonParameters, OctetKeyPairParameters, OctetKeyPairType};
    use serde_json::json;

    /// RFC 8037 Appendix A.3: the thumbprint of the Ed25519 key of A.2.
    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint_of_rfc_8037s_example() {
        let jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
            }),
        };
        assert_eq!(
            jwk.thumbprint(ThumbprintHash::SHA256)
                .expect("a thumbprint"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        // The same key as a verifier reads it, with the kid computed here.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .expect("base64url");
        let keys = Keys {
            algorithm: Algorithm::EdDSA,
            encoding: jsonwebtoken::EncodingKey::from_secret(b"unused here"),
            decoding: DecodingKey::from_ed_der(&x),
        };
        let published = PublishedKeys::of(&keys).expect("a key set");
        assert_eq!(
            published.kid(),
            Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        );
    }

    #[test]
    fn a_shared_secret_is_never_published() {
        let keys = Keys {
            algorithm: Algorithm::HS256,
            encoding: jsonwebtoken::EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
            decoding: DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        };
        let published = PublishedKeys::of(&keys).expect("no error");
        assert!(published.0.is_none());
        assert_eq!(published.kid(), None);
    }

    #[test]
    fn only_ed25519_signature_keys_with_a_kid_are_read() {
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let set = json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "good", "alg": "EdDSA", "use": "sig"},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "bare"},
            {"kty": "OKP", "crv": "Ed25519", "x": x},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "enc", "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "rsa-alg", "alg": "RS256"},
            {"kty": "OKP", "crv": "Ed25519", "x": "c2hvcnQ", "kid": "short"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "secret"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
            {"kty": "unknown", "kid": "odd", "alg": "whatever"},
        ]});
        let keys = verifying_keys(set.to_string().as_bytes()).expect("keys");
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["bare", "good"]);

        let none = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "secret"}]});
        assert!(matches!(
            verifying_keys(none.to_string().as_bytes()),
            Err(JwksError::NoUsableKey)
        ));
        assert!(matches!(
            verifying_keys(b"<html>"),
            Err(JwksError::NotASet(_))
        ));
    }
}
