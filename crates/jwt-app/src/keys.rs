//! The signing key: where it comes from, and how it survives a restart.

use std::{fmt, path::Path};

use auth_core::key_file::{self, KEY_BYTES};
use ed25519_dalek::{SigningKey, ed25519::pkcs8::EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

/// HMAC keys shorter than the hash output make brute-forcing a captured token
/// practical; RFC 7518 §3.2 asks for at least this much.
pub const MIN_SECRET_BYTES: usize = 32;

/// What a new key file would break.
const REPLACED: &str = "tokens signed with the old one will stop working";

/// The algorithms jwt-app signs with. Only one is accepted at a time, so a
/// token cannot pick its own (`alg: none`, or HS256 keyed with a public key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JwtAlg {
    /// HMAC-SHA256 with a shared secret: every verifier can also sign.
    #[value(name = "HS256")]
    Hs256,
    /// Ed25519 signatures: verifiers need only the public key.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl JwtAlg {
    pub fn algorithm(self) -> Algorithm {
        match self {
            Self::Hs256 => Algorithm::HS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }

    /// The name a token's `alg` header gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::EdDsa => "EdDSA",
        }
    }

    fn key_file(self) -> &'static str {
        match self {
            Self::Hs256 => "jwt-hs256.key",
            Self::EdDsa => "jwt-ed25519.key",
        }
    }
}

/// `JWT_SECRET`, kept out of `Debug` output so that logging the config does
/// not leak it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A matching pair of signing and verifying keys for one algorithm.
pub struct Keys {
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
}

/// Takes the HS256 key from `JWT_SECRET`, or else reads the key file in
/// `data_dir`, creating it on first start.
pub fn load(alg: JwtAlg, secret: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Keys> {
    match (alg, secret) {
        (JwtAlg::Hs256, Some(secret)) => {
            let bytes = secret.expose().as_bytes();
            if bytes.len() < MIN_SECRET_BYTES {
                anyhow::bail!(
                    "JWT_SECRET is {} bytes long; it must be at least {MIN_SECRET_BYTES} bytes \
                     (try `openssl rand -base64 32`), or leave it unset to use a key file",
                    bytes.len()
                );
            }
            Ok(hs256(bytes))
        }
        (JwtAlg::Hs256, None) => {
            let key = key_file::load_or_create(&data_dir.join(alg.key_file()), REPLACED)?;
            Ok(hs256(&key))
        }
        (JwtAlg::EdDsa, secret) => {
            if secret.is_some() {
                tracing::warn!("JWT_SECRET is ignored with JWT_ALG=EdDSA: the key file is used");
            }
            let seed = key_file::load_or_create(&data_dir.join(alg.key_file()), REPLACED)?;
            ed25519(&seed)
        }
    }
}

fn hs256(secret: &[u8]) -> Keys {
    Keys {
        algorithm: Algorithm::HS256,
        encoding: EncodingKey::from_secret(secret),
        decoding: DecodingKey::from_secret(secret),
    }
}

fn ed25519(seed: &[u8; KEY_BYTES]) -> anyhow::Result<Keys> {
    let signing = SigningKey::from_bytes(seed);
    // jsonwebtoken's rust_crypto backend signs from PKCS#8 but verifies from
    // the raw 32-byte public key, not SPKI.
    let pkcs8 = signing
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("cannot encode the Ed25519 key as PKCS#8: {e}"))?;
    Ok(Keys {
        algorithm: Algorithm::EdDSA,
        encoding: EncodingKey::from_ed_der(pkcs8.as_bytes()),
        decoding: DecodingKey::from_ed_der(&signing.verifying_key().to_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let secret = Secret::from("x".repeat(40));
        assert!(!format!("{secret:?}").contains("xxx"));
    }
}
