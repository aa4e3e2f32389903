//! Remembering logged-out access tokens until they expire: the price of
//! closing the logout loophole is a lookup on every request. One store per
//! backend behind one trait.

mod memory;
mod redis;

use std::sync::Arc;

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

/// Denied token ids, each until a Unix time after which the token is refused
/// anyway, behind one `Arc<dyn Denylist>` whichever backend is configured.
#[async_trait::async_trait]
pub trait Denylist: MeasuredStore {
    /// Denies `jti` until `until` (Unix seconds).
    async fn deny(&self, jti: &str, until: i64) -> Result<(), DenylistError>;
    async fn is_denied(&self, jti: &str) -> Result<bool, DenylistError>;
}

/// The store for `mode`; `None` for `off`, so that no request makes a lookup.
/// `redis` is the connection for `DenylistMode::Redis`.
pub fn build(
    mode: DenylistMode,
    redis: Option<&Redis>,
) -> anyhow::Result<Option<Arc<dyn Denylist>>> {
    Ok(match mode {
        DenylistMode::Off => None,
        DenylistMode::Memory => Some(Arc::new(MemoryDenylist::default())),
        DenylistMode::Redis => {
            let redis = redis.ok_or_else(|| anyhow::anyhow!("DENYLIST=redis without a Redis"))?;
            Some(Arc::new(RedisDenylist::new(redis.clone())))
        }
    })
}
