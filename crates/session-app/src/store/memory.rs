use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

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
/// during a logout can never bring the deleted session back.
#[derive(Debug, Clone, Default)]
pub struct MemorySessions(Arc<Mutex<HashMap<Id, Record>>>);

impl MemorySessions {
    fn map(&self) -> MutexGuard<'_, HashMap<Id, Record>> {
        // A panic while holding the lock cannot leave a map half-written.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sessions held and the bytes of their JSON encoding.
    pub fn stats(&self) -> (usize, usize) {
        let map = self.map();
        let bytes = map
            .values()
            .map(|r| serde_json::to_vec(r).map_or(0, |v| v.len()))
            .sum();
        (map.len(), bytes)
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut map = self.map();
        while map.contains_key(&record.id) {
            record.id = Id::default();
        }
        map.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some(existing) = self.map().get_mut(&record.id) {
            *existing = record.clone();
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut map = self.map();
        match map.get(id) {
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
        self.map().retain(|_, r| r.expiry_date > now);
        Ok(())
    }
}
