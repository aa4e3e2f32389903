use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
};

use crate::session_user::SessionUser;
use tower_sessions::{
    SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};

/// Sessions in the server's memory.
///
/// tower-sessions' own MemoryStore never removes an expired record and
/// re-inserts on `save`; this one sweeps expired records, and its `save` only
/// updates a record that still exists, so that a request that was in flight
/// during a logout can never bring the deleted session back. Beside the
/// records, a map from each user to the ids of its sessions (the login
/// listing's index), changed under the same lock as the records, so the two
/// never disagree.
#[derive(Debug, Clone, Default)]
pub struct MemorySessions(Arc<Mutex<Sessions>>);

#[derive(Debug, Default)]
struct Sessions {
    records: HashMap<Id, Record>,
    by_user: HashMap<i64, HashSet<Id>>,
}

impl Sessions {
    fn insert(&mut self, record: Record) {
        if let Some(user) = user_of(&record) {
            self.by_user.entry(user).or_default().insert(record.id);
        }
        self.records.insert(record.id, record);
    }

    fn remove(&mut self, id: &Id) {
        let Some(record) = self.records.remove(id) else {
            return;
        };
        if let Some(user) = user_of(&record)
            && let Some(ids) = self.by_user.get_mut(&user)
        {
            ids.remove(id);
            if ids.is_empty() {
                self.by_user.remove(&user);
            }
        }
    }

    fn remove_expired(&mut self, now: OffsetDateTime) {
        let expired: Vec<Id> = self
            .records
            .values()
            .filter(|r| r.expiry_date <= now)
            .map(|r| r.id)
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }
}

fn user_of(record: &Record) -> Option<i64> {
    SessionUser::of(record).map(|u| u.id)
}

impl MemorySessions {
    fn map(&self) -> MutexGuard<'_, Sessions> {
        // A panic while holding the lock cannot leave a map half-written.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sessions held and the bytes of their JSON encoding.
    pub fn stats(&self) -> (usize, usize) {
        let map = self.map();
        let bytes = map
            .records
            .values()
            .map(|r| serde_json::to_vec(r).map_or(0, |v| v.len()))
            .sum();
        (map.records.len(), bytes)
    }

    /// Entries of the per-user index: one per session of a user.
    pub fn index_entries(&self) -> usize {
        self.map().by_user.values().map(HashSet::len).sum()
    }

    /// The live sessions of user `user`.
    pub fn of_user(&self, user: i64) -> Vec<Record> {
        let now = OffsetDateTime::now_utc();
        let map = self.map();
        map.by_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| map.records.get(id))
            .filter(|r| r.expiry_date > now)
            .cloned()
            .collect()
    }

    /// Deletes every session of user `user` but `keep`, at once; how many.
    pub fn end_all(&self, user: i64, keep: Option<Id>) -> usize {
        let mut map = self.map();
        let ids: Vec<Id> = map
            .by_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter(|id| Some(**id) != keep)
            .copied()
            .collect();
        let now = OffsetDateTime::now_utc();
        let live = ids
            .iter()
            .filter(|id| map.records.get(id).is_some_and(|r| r.expiry_date > now))
            .count();
        for id in &ids {
            map.remove(id);
        }
        live
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut map = self.map();
        while map.records.contains_key(&record.id) {
            record.id = Id::default();
        }
        map.insert(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut map = self.map();
        if map.records.contains_key(&record.id) {
            map.insert(record.clone());
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut map = self.map();
        match map.records.get(id) {
            Some(r) if r.expiry_date > OffsetDateTime::now_utc() => Ok(Some(r.clone())),
            Some(_) => {
                map.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.map().remove(id);
        Ok(())
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for MemorySessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc();
        self.map().remove_expired(now);
        Ok(())
    }
}
