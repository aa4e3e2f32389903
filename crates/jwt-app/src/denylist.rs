//! Remembering logged-out access tokens until they expire: the price of
//! closing the logout loophole is a lookup on every request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};
use futures::future::BoxFuture;

use crate::redis::{Redis, RedisDenylist};

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
/// anyway. Boxed futures keep it object-safe, so that a networked store
/// (Redis) can sit behind the same `Arc<dyn Denylist>`.
pub trait Denylist: MeasuredStore {
    /// Denies `jti` until `until` (Unix seconds).
    fn deny<'a>(&'a self, jti: &'a str, until: i64) -> BoxFuture<'a, Result<(), DenylistError>>;
    fn is_denied<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, DenylistError>>;
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

/// A map in this process, purged of expired entries as new ones arrive so that
/// it holds at most one access TTL's worth of logouts.
#[derive(Default)]
pub struct MemoryDenylist {
    entries: Mutex<HashMap<String, i64>>,
}

impl MemoryDenylist {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        // The map stays consistent even if a holder panicked: every update is a
        // single insert or retain.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Denylist for MemoryDenylist {
    fn deny<'a>(&'a self, jti: &'a str, until: i64) -> BoxFuture<'a, Result<(), DenylistError>> {
        Box::pin(async move {
            let now = unix_now();
            let mut entries = self.entries();
            entries.retain(|_, until| *until >= now);
            if until >= now {
                entries.insert(jti.to_owned(), until);
            }
            Ok(())
        })
    }

    fn is_denied<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, Result<bool, DenylistError>> {
        Box::pin(async move { Ok(self.entries().contains_key(jti)) })
    }
}

#[async_trait::async_trait]
impl MeasuredStore for MemoryDenylist {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        let entries = self.entries();
        // Each entry is its jti and an 8-byte deadline.
        let bytes = entries.keys().map(|jti| jti.len() + 8).sum::<usize>();
        Ok(StoreStats {
            entries: entries.len() as i64,
            bytes: bytes as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn denies_until_the_deadline_and_forgets_after() -> Result<(), DenylistError> {
        let list = MemoryDenylist::default();
        list.deny("a", unix_now() + 60).await?;
        list.deny("old", unix_now() - 10).await?;
        assert!(list.is_denied("a").await?);
        assert!(!list.is_denied("b").await?);
        assert!(
            !list.is_denied("old").await?,
            "an expired entry is not kept"
        );
        Ok(())
    }
}
