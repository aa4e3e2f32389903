//! `DENYLIST=memory`: a map in this process, gone with it.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};

use super::{Denylist, DenylistError};

/// Purged of expired entries as new ones arrive, so that it holds at most
/// one access TTL's worth of logouts.
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

#[async_trait::async_trait]
impl Denylist for MemoryDenylist {
    async fn deny(&self, jti: &str, until: i64) -> Result<(), DenylistError> {
        let now = unix_now();
        let mut entries = self.entries();
        entries.retain(|_, until| *until >= now);
        if until >= now {
            entries.insert(jti.to_owned(), until);
        }
        Ok(())
    }

    async fn is_denied(&self, jti: &str) -> Result<bool, DenylistError> {
        Ok(self.entries().contains_key(jti))
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
