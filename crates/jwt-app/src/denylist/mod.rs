//! Remembering logged-out access tokens until they expire: the price of
//! closing the logout loophole is a lookup on every request. One store per
//! backend behind one trait.
//!
//! An entry names either one token (its `jti`) or a whole login (its `sid`,
//! the refresh family every access token of the login carries): a token
//! from before a refresh must die with the login it belongs to. A user's
//! "not before" (sign out everywhere, a password change, the admin's end of
//! a user's logins) refuses every access token of the user issued before
//! it, whatever login it came from: one more lookup per request.

mod memory;
mod redis;

use std::{sync::Arc, time::Duration};

use auth_core::stats::MeasuredStore;

pub use memory::MemoryDenylist;
pub use redis::RedisDenylist;

use crate::redis::Redis;

/// Where denied `jti`s are kept. `Off` has no store at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DenylistMode {
    /// No denylist: a logged-out access token works until its `exp`.
    Off,
    /// In this process only: lost on restart, not shared between instances.
    Memory,
    /// In Redis (`REDIS_URL`): shared by every instance, each entry expiring
    /// with its token.
    Redis,
}

impl DenylistMode {
    /// The name /health reports as the app's store.
    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Memory => "memory",
            Self::Redis => "redis",
        }
    }
}

/// The denylist store could not answer. Callers fail closed on it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DenylistError(pub String);

/// What a denylist entry names.
#[derive(Debug, Clone, Copy)]
pub enum Denied<'a> {
    /// One access token, by its `jti`.
    Token(&'a str),
    /// Every access token of one login, by its `sid`.
    Login(&'a str),
}

impl Denied<'_> {
    /// The entry's name in a store: a bare `jti`, or `sid:` and the sid, so
    /// that the two can never be taken for each other.
    pub fn key(self) -> String {
        match self {
            Self::Token(jti) => jti.to_owned(),
            Self::Login(sid) => format!("sid:{sid}"),
        }
    }
}

/// What the bearer check asks the denylist about a verified access token.
#[derive(Debug, Clone, Copy)]
pub struct Checked<'a> {
    pub jti: &'a str,
    pub sid: &'a str,
    pub user_id: i64,
    pub iat: i64,
}

/// Denied tokens and logins, each until a Unix time after which their tokens
/// are refused anyway, behind one `Arc<dyn Denylist>` whichever backend is
/// configured.
#[async_trait::async_trait]
pub trait Denylist: MeasuredStore {
    /// Denies `entry` until `until` (Unix seconds).
    async fn deny(&self, entry: Denied<'_>, until: i64) -> Result<(), DenylistError>;

    /// Refuses every access token of `user_id` issued (`iat`) before `at`
    /// (Unix seconds), remembered until `until`, when the last of them has
    /// expired anyway. A later call never moves it back.
    async fn not_before(&self, user_id: i64, at: i64, until: i64) -> Result<(), DenylistError>;

    /// Whether the token `jti` or its login `sid` is denied, or its user's
    /// "not before" is later than its `iat`. A token issued in the same
    /// second as the "not before" passes: the password change's own new
    /// pair must; a token of an ended login from that second is refused by
    /// its `sid` anyway.
    async fn is_denied(&self, token: &Checked<'_>) -> Result<bool, DenylistError>;
}

/// The store for `mode`; `None` for `off`, so that no request makes a lookup.
/// `redis` is the connection for `DenylistMode::Redis`; the memory store
/// drops expired entries every `sweep`.
pub fn build(
    mode: DenylistMode,
    redis: Option<&Redis>,
    sweep: Duration,
) -> anyhow::Result<Option<Arc<dyn Denylist>>> {
    Ok(match mode {
        DenylistMode::Off => None,
        DenylistMode::Memory => Some(MemoryDenylist::swept(sweep)),
        DenylistMode::Redis => {
            let redis = redis.ok_or_else(|| anyhow::anyhow!("DENYLIST=redis without a Redis"))?;
            Some(Arc::new(RedisDenylist::new(redis.clone())))
        }
    })
}
