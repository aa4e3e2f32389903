//! The refresh token itself: made here, parsed here, hashed here, so that a
//! store never sees a string that could not be one of ours.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};

/// 256 random bits: guessing one is out of the question.
const TOKEN_BYTES: usize = 32;
/// The base64url length (no padding) of [`TOKEN_BYTES`].
const TOKEN_CHARS: usize = (TOKEN_BYTES * 4).div_ceil(3);

/// A refresh token of the shape this server hands out: 32 random bytes in
/// base64url. Its `Debug` does not show it, so that logging an
/// [`super::IssuedRefresh`] leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// A new random token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token a client presented, if it has the shape of one of ours.
    /// Anything else (empty, 4000 bytes, an access token) cannot name a
    /// stored token: refused before any hashing or store lookup.
    pub fn parse(presented: &str) -> Option<Self> {
        if presented.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(presented).ok()?;
        (bytes.len() == TOKEN_BYTES).then(|| Self(presented.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the stores keep instead of the token: its SHA-256 in hex. A fast
    /// hash is enough: the token has 256 random bits, so there is nothing for
    /// a slow hash to protect against, and lookups need a deterministic key.
    pub fn hash(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_parses_and_hashes_to_hex() {
        let token = RefreshToken::generate();
        assert_eq!(token.as_str().len(), TOKEN_CHARS);
        assert_eq!(RefreshToken::parse(token.as_str()), Some(token.clone()));
        let hash = token.hash();
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(RefreshToken::generate(), token);
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn what_is_not_shaped_like_a_token_does_not_parse() {
        let token = RefreshToken::generate();
        let good = token.as_str();
        let not_base64url = format!("{}+", &good[1..]);
        let longer = format!("{good}A");
        for bad in [
            "",
            "not-a-refresh-token",
            &not_base64url,
            &longer,
            &good[1..],
        ] {
            assert_eq!(RefreshToken::parse(bad), None, "{bad:?}");
        }
    }
}
