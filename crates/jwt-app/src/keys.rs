//! The signing key: where it comes from, and how it survives a restart.

use std::{
    fmt,
    fs::{self, OpenOptions},
    io::{ErrorKind, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use ed25519_dalek::{SigningKey, ed25519::pkcs8::EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::{RngCore, rngs::OsRng};

/// HMAC keys shorter than the hash output make brute-forcing a captured token
/// practical; RFC 7518 §3.2 asks for at least this much.
pub const MIN_SECRET_BYTES: usize = 32;

const KEY_BYTES: usize = 32;

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
            let key = key_file(&data_dir.join(alg.key_file()))?;
            Ok(hs256(&key))
        }
        (JwtAlg::EdDsa, secret) => {
            if secret.is_some() {
                tracing::warn!("JWT_SECRET is ignored with JWT_ALG=EdDSA: the key file is used");
            }
            let seed = key_file(&data_dir.join(alg.key_file()))?;
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

/// Reads 32 random bytes from `path`, writing them first if the file does not
/// exist yet.
fn key_file(path: &Path) -> anyhow::Result<[u8; KEY_BYTES]> {
    match read_key(path)? {
        Some(key) => Ok(key),
        None => {
            create_key(path)?;
            // Read back rather than trust what we wrote: another instance
            // sharing the folder may have won the race to create it.
            read_key(path)?.with_context(|| format!("the key file {} vanished", path.display()))
        }
    }
}

fn read_key(path: &Path) -> anyhow::Result<Option<[u8; KEY_BYTES]>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the key file {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    let key: [u8; KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "the key file {} holds {} bytes, not {KEY_BYTES}; delete it to make a new key \
             (tokens signed with the old one will stop working)",
            path.display(),
            bytes.len()
        )
    })?;
    Ok(Some(key))
}

/// Writes a fresh key under a temporary name, then links it into place: the
/// link fails if the file exists, so a concurrent start never sees a
/// half-written key, and an existing key is never overwritten.
fn create_key(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let mut key = [0u8; KEY_BYTES];
    OsRng.fill_bytes(&mut key);
    let tmp = temp_path(path);
    let written = write_private(&tmp, &key);
    let linked = written.and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = fs::remove_file(&tmp);
    linked.with_context(|| format!("cannot create the key file {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new signing key");
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
