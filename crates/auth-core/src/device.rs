//! The device cookie (OWASP, "Slow Down Online Guessing Attacks with Device
//! Cookies"): a successful login leaves a signed cookie in the browser, and a
//! later login to the same account from that browser is not held to the
//! per-email cap, which strangers can spend from many addresses to lock the
//! owner out. The per-(email, address) and per-address caps still hold for
//! it, so a stolen device cookie buys a guesser nothing over the pair's few
//! tries.
//!
//! The cookie is `NONCE.MAC` (hex): 16 random bytes, and HMAC-SHA256 over the
//! account's normalized email and the nonce, under a key of the server's
//! (a key file in the data folder, or one derived from
//! `DEVICE_COOKIE_SECRET`). It names no account: it is checked against the
//! email a login attempt gives. `HttpOnly`, `SameSite=Lax`, `Path=/login`
//! (sent nowhere else), `Max-Age` = `DEVICE_COOKIE_TTL`; with `COOKIE_SECURE`
//! it is `Secure` and named `__Secure-device`.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::AppendHeaders,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::{
    Accounts, CommonConfig, User, cookie_names,
    key_file::{self, KEY_BYTES},
    validation::Email,
};

type HmacSha256 = Hmac<Sha256>;

const NONCE_BYTES: usize = 16;
/// The key file in the data folder, without `DEVICE_COOKIE_SECRET`.
pub const KEY_FILE: &str = "device_cookie.key";

/// The key device cookies are signed with, and how the cookie is set.
#[derive(Clone)]
pub struct DeviceKey {
    key: Arc<[u8; KEY_BYTES]>,
    max_age: Duration,
    secure: bool,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("max_age", &self.max_age)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// The key of `config`: derived from `DEVICE_COOKIE_SECRET`, else read
    /// from (or first written to) the key file in the data folder. `None`
    /// with `DEVICE_COOKIE_TTL=0`.
    pub fn from_config(config: &CommonConfig) -> anyhow::Result<Option<Self>> {
        if config.device_cookie_ttl.is_zero() {
            return Ok(None);
        }
        let key = match &config.device_cookie_secret {
            Some(secret) if secret.len() < KEY_BYTES => anyhow::bail!(
                "DEVICE_COOKIE_SECRET is {} bytes; it needs {KEY_BYTES} at least",
                secret.len()
            ),
            Some(secret) => derive(secret.as_bytes()),
            None => key_file::load_or_create(
                &config.data_dir.join(KEY_FILE),
                "browsers' device cookies will stop counting",
            )?,
        };
        Ok(Some(Self {
            key: Arc::new(key),
            max_age: config.device_cookie_ttl,
            secure: config.cookie_secure,
        }))
    }

    fn name(&self) -> &'static str {
        cookie_names::device(self.secure)
    }

    fn mac(&self, email: &str, nonce: &[u8]) -> HmacSha256 {
        // `new_from_slice` takes a key of any length: it cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.key.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(email.as_bytes());
        mac.update(&[0]);
        mac.update(nonce);
        mac
    }

    /// A fresh device cookie for `email`, as its `Set-Cookie` value.
    pub fn cookie_for(&self, email: &str) -> Option<HeaderValue> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let tag = self.mac(email, &nonce).finalize().into_bytes();
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={}.{}; Path=/login; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            self.name(),
            hex(&nonce),
            hex(&tag),
            self.max_age.as_secs()
        ))
        .ok()
    }

    /// The device cookie among a request's `Cookie` headers, if exactly one
    /// is there and has the right shape (its signature is checked later,
    /// against the email of the attempt).
    fn read(&self, headers: &HeaderMap) -> Device {
        let mut found = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.name())
            .map(|(_, value)| value);
        let (Some(value), None) = (found.next(), found.next()) else {
            return Device::Unknown;
        };
        let parsed = value.split_once('.').and_then(|(nonce, tag)| {
            let nonce: [u8; NONCE_BYTES] = unhex(nonce)?.try_into().ok()?;
            let tag: [u8; 32] = unhex(tag)?.try_into().ok()?;
            Some((nonce, tag))
        });
        match parsed {
            Some((nonce, tag)) => Device::Cookie {
                key: self.clone(),
                nonce,
                tag,
            },
            None => Device::Unknown,
        }
    }
}

/// What a login request says about the browser it comes from.
#[derive(Debug, Clone)]
pub enum Device {
    /// No device cookie (or one that is malformed, or sent twice).
    Unknown,
    /// A device cookie, not checked yet: it is valid for one email only.
    Cookie {
        key: DeviceKey,
        nonce: [u8; NONCE_BYTES],
        tag: [u8; 32],
    },
}

impl Device {
    /// Whether this browser holds a device cookie this server signed for
    /// `email` (compared in constant time).
    pub fn is_known_for(&self, email: &Email) -> bool {
        match self {
            Self::Unknown => false,
            Self::Cookie { key, nonce, tag } => {
                key.mac(email.as_str(), nonce).verify_slice(tag).is_ok()
            }
        }
    }
}

impl<S> FromRequestParts<S> for Device
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(match Accounts::from_ref(state).device_key() {
            Some(key) => key.read(&parts.headers),
            None => Device::Unknown,
        })
    }
}

/// The `Set-Cookie` of a successful login's answer: a new device cookie for
/// `user` (nothing with `DEVICE_COOKIE_TTL=0`).
pub fn remember(
    accounts: &Accounts,
    user: &User,
) -> AppendHeaders<Option<(header::HeaderName, HeaderValue)>> {
    AppendHeaders(
        accounts
            .device_key()
            .and_then(|key| key.cookie_for(&user.email))
            .map(|cookie| (header::SET_COOKIE, cookie)),
    )
}

fn derive(secret: &[u8]) -> [u8; KEY_BYTES] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"auth-compare device cookie key v1");
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DeviceKey {
        DeviceKey {
            key: Arc::new(derive(&[7; 32])),
            max_age: Duration::from_secs(60),
            secure: false,
        }
    }

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn request_with(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(cookie) {
            headers.insert(header::COOKIE, v);
        }
        headers
    }

    #[test]
    fn a_cookie_is_valid_for_its_email_only_and_under_its_key_only() {
        let key = key();
        let set = key
            .cookie_for("ada@x.io")
            .map(|v| v.to_str().map(str::to_owned));
        let Some(Ok(set)) = set else {
            panic!("no cookie")
        };
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
        assert!(set.contains("Path=/login") && set.contains("Max-Age=60"));
        let pair = set.split(';').next().unwrap_or_default();
        let device = key.read(&request_with(&format!("sid=x; {pair}")));
        assert!(device.is_known_for(&email("ada@x.io")));
        assert!(device.is_known_for(&email(" ADA@x.io")));
        assert!(!device.is_known_for(&email("bob@x.io")));
        let other = DeviceKey {
            key: Arc::new(derive(&[8; 32])),
            ..key.clone()
        };
        assert!(
            !other
                .read(&request_with(pair))
                .is_known_for(&email("ada@x.io"))
        );
        assert!(
            !key.read(&request_with(&format!("{pair}; {pair}")))
                .is_known_for(&email("ada@x.io")),
            "a cookie sent twice counts for nothing"
        );
        for junk in ["device=", "device=zz.zz", "device=00.00", "device=ab"] {
            assert!(
                !key.read(&request_with(junk))
                    .is_known_for(&email("ada@x.io"))
            );
        }
    }
}
