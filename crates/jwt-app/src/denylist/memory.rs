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

use super::{Checked, Denied, Denylist, DenylistError};

/// Entries past their deadline are ignored at once and dropped by a timer
/// ([`MemoryDenylist::swept`]), so that a deny costs one insert: a purge of
/// the whole map under the lock on every logout would let a burst of
/// logouts stall every request that checks the list.
#[derive(Default)]
pub struct MemoryDenylist {
    entries: Mutex<Entries>,
}

/// Tokens and logins in maps of their own, keyed by the bare `jti` and
/// `sid`: a check on every request then looks both up by the request's own
/// strings, without building `sid:`-prefixed keys for them.
#[derive(Default)]
struct Entries {
    tokens: HashMap<String, i64>,
    logins: HashMap<String, i64>,
    /// Each user's "not before" and its deadline.
    users: HashMap<i64, NotBefore>,
}

#[derive(Debug, Clone, Copy)]
struct NotBefore {
    at: i64,
    until: i64,
}

impl Entries {
    fn map<'a>(&mut self, entry: Denied<'a>) -> (&mut HashMap<String, i64>, &'a str) {
        match entry {
            Denied::Token(jti) => (&mut self.tokens, jti),
            Denied::Login(sid) => (&mut self.logins, sid),
        }
    }

    fn len(&self) -> usize {
        self.tokens.len() + self.logins.len() + self.users.len()
    }
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
        let mut entries = self.entries();
        entries.tokens.retain(|_, until| *until >= now);
        entries.logins.retain(|_, until| *until >= now);
        entries.users.retain(|_, nb| nb.until >= now);
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
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
            let (map, name) = entries.map(entry);
            let deadline = map.entry(name.to_owned()).or_insert(until);
            // A later deny of the same login never shortens it.
            *deadline = (*deadline).max(until);
        }
        Ok(())
    }

    async fn not_before(&self, user_id: i64, at: i64, until: i64) -> Result<(), DenylistError> {
        if until >= unix_now() {
            let mut entries = self.entries();
            let nb = entries
                .users
                .entry(user_id)
                .or_insert(NotBefore { at, until });
            nb.at = nb.at.max(at);
            nb.until = nb.until.max(until);
        }
        Ok(())
    }

    async fn is_denied(&self, token: &Checked<'_>) -> Result<bool, DenylistError> {
        let now = unix_now();
        let entries = self.entries();
        let live =
            |map: &HashMap<String, i64>, name: &str| map.get(name).is_some_and(|u| *u >= now);
        let before = entries
            .users
            .get(&token.user_id)
            .is_some_and(|nb| nb.until >= now && token.iat < nb.at);
        Ok(live(&entries.tokens, token.jti) || live(&entries.logins, token.sid) || before)
    }
}

#[async_trait::async_trait]
impl MeasuredStore for MemoryDenylist {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        let entries = self.entries();
        // Each entry is its name (as `Denied::key` spells it) and an 8-byte deadline.
        let bytes = entries.tokens.keys().map(|k| k.len() + 8).sum::<usize>()
            + entries
                .logins
                .keys()
                .map(|sid| Denied::Login(sid).key().len() + 8)
                .sum::<usize>()
            // A user id and two 8-byte times.
            + entries.users.len() * 24;
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
        assert!(list.is_denied(&checked("a", "-")).await?);
        assert!(list.is_denied(&checked("-", "s")).await?, "a denied login");
        assert!(
            !list.is_denied(&checked("s", "a")).await?,
            "a jti is not a sid"
        );
        assert!(!list.is_denied(&checked("b", "-")).await?);
        assert!(
            !list.is_denied(&checked("old", "-")).await?,
            "an expired entry is not kept"
        );
        Ok(())
    }

    fn checked<'a>(jti: &'a str, sid: &'a str) -> Checked<'a> {
        Checked {
            jti,
            sid,
            user_id: 1,
            iat: unix_now(),
        }
    }

    #[tokio::test]
    async fn a_not_before_refuses_what_was_issued_before_it() -> Result<(), DenylistError> {
        let list = MemoryDenylist::default();
        let now = unix_now();
        list.not_before(1, now, now + 60).await?;
        let at = |iat| Checked {
            jti: "j",
            sid: "s",
            user_id: 1,
            iat,
        };
        assert!(list.is_denied(&at(now - 1)).await?, "issued before");
        assert!(!list.is_denied(&at(now)).await?, "issued in that second");
        let other = Checked {
            user_id: 2,
            ..at(now - 1)
        };
        assert!(!list.is_denied(&other).await?, "another user's");
        list.not_before(1, now - 30, now + 60).await?;
        assert!(list.is_denied(&at(now - 1)).await?, "never moved back");
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
        assert!(list.is_denied(&checked("long", "-")).await?);
        Ok(())
    }
}
