//! `DENYLIST=memory`: a map in this process, gone with it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};

use super::{Denied, Denylist, DenylistError};

/// Entries past their deadline are ignored at once and dropped by a timer
/// ([`MemoryDenylist::swept`]), so that a deny costs one insert: a purge of
/// the whole map under the lock on every logout would let a burst of
/// logouts stall every request that checks the list.
#[derive(Default)]
pub struct MemoryDenylist {
    entries: Mutex<HashMap<String, i64>>,
}

impl MemoryDenylist {
    /// A denylist whose expired entries are dropped every `period`, so that
    /// it holds at most one access TTL's worth of logouts.
    pub fn swept(period: Duration) -> Arc<Self> {
        let list = Arc::new(Self::default());
        auth_core::sweep::purge_while_alive(period, &list, Self::purge_expired);
        list
    }

    fn purge_expired(&self) {
        let now = unix_now();
        self.entries().retain(|_, until| *until >= now);
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        // The map stays consistent even if a holder panicked: every update is a
        // single insert or retain.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Denylist for MemoryDenylist {
    async fn deny(&self, entry: Denied<'_>, until: i64) -> Result<(), DenylistError> {
        if until >= unix_now() {
            let mut entries = self.entries();
            let deadline = entries.entry(entry.key()).or_insert(until);
            // A later deny of the same login never shortens it.
            *deadline = (*deadline).max(until);
        }
        Ok(())
    }

    async fn is_denied(&self, jti: &str, sid: &str) -> Result<bool, DenylistError> {
        let now = unix_now();
        let entries = self.entries();
        let denied = |entry: Denied<'_>| entries.get(&entry.key()).is_some_and(|u| *u >= now);
        Ok(denied(Denied::Token(jti)) || denied(Denied::Login(sid)))
    }
}

#[async_trait::async_trait]
impl MeasuredStore for MemoryDenylist {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        let entries = self.entries();
        // Each entry is its name and an 8-byte deadline.
        let bytes = entries.keys().map(|key| key.len() + 8).sum::<usize>();
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
        list.deny(Denied::Token("a"), unix_now() + 60).await?;
        list.deny(Denied::Login("s"), unix_now() + 60).await?;
        list.deny(Denied::Token("old"), unix_now() - 10).await?;
        assert!(list.is_denied("a", "-").await?);
        assert!(list.is_denied("-", "s").await?, "a denied login");
        assert!(!list.is_denied("s", "a").await?, "a jti is not a sid");
        assert!(!list.is_denied("b", "-").await?);
        assert!(
            !list.is_denied("old", "-").await?,
            "an expired entry is not kept"
        );
        Ok(())
    }

    /// The timer, not the next deny, drops what expired.
    #[tokio::test]
    async fn expired_entries_are_swept_by_the_timer() -> Result<(), DenylistError> {
        let list = MemoryDenylist::swept(Duration::from_millis(100));
        list.deny(Denied::Login("short"), unix_now()).await?;
        list.deny(Denied::Token("long"), unix_now() + 60).await?;
        assert_eq!(list.entries().len(), 2);
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        assert_eq!(list.entries().len(), 1, "the expired entry is gone");
        assert!(list.is_denied("long", "-").await?);
        Ok(())
    }
}
