//! Sessions in Redis, through tower-sessions-redis-store (`RedisStore<fred::clients::Pool>`).
//!
//! What the crate does, read from its source (0.16): the key is the bare
//! session id (no prefix: the crate has no option for one), the value the
//! MessagePack of the record, and every write is `SET key value EXAT <expiry>`,
//! so Redis itself removes a session when it expires. `create` writes with
//! `NX` (a colliding id is re-drawn) and `save` with `XX`: a save only updates a
//! key that still exists, so a request that was in flight during a logout cannot
//! bring the deleted session back (the connect-redis bug).
//!
//! One flaw of 0.16 is worked around here ([`RedisSessionStore`]): when `XX`
//! finds no key, Redis answers nil, which the crate reads as a `bool` and fred
//! refuses ("Could not convert to bool"), so that late save fails instead of
//! doing nothing (tower-sessions-stores issue #19, fixed by PR #67, merged
//! after 0.16.0 and unreleased).
//!
//! Without a key prefix, the namespace of the sessions is the Redis logical
//! database named in `REDIS_URL` (`redis://host:6379/2`).
//!
//! The login listing's index is ours: `<REDIS_PREFIX>logins:<user id>`, a
//! sorted set of the user's session ids scored by their expiry (Unix
//! seconds). Every write of a session writes its entry (`redis/index.lua`),
//! drops the expired ones, and sets the set to expire with its last session;
//! a listing drops the entries whose session is gone. Ending every session of
//! a user is one script (`redis/end_all.lua`).

use async_trait::async_trait;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_redis_store::{
    RedisStore,
    fred::{
        clients::Pool,
        interfaces::{KeysInterface, SortedSetsInterface},
        types::scripts::Script,
    },
};

use auth_core::redis::RedisCheck;

use crate::session_user::SessionUser;

/// A session id in its cookie form: 16 bytes, base64url without padding.
const ID_LEN: usize = 22;

/// What fred says when the crate reads `SET … XX`'s nil answer as a `bool`.
const NIL_AS_BOOL: &str = "Could not convert to bool";

/// The session store in Redis, with the pool kept beside it for /health and
/// the stats (the store does not hand its client out).
#[derive(Clone, Debug)]
pub struct RedisSessions {
    store: RedisSessionStore,
    pool: Pool,
}

/// The per-user index beside the sessions: its key prefix and scripts.
#[derive(Clone, Debug)]
struct Index {
    prefix: String,
    write: Script,
    end_all: Script,
}

impl Index {
    fn key(&self, user: i64) -> String {
        format!("{}logins:{user}", self.prefix)
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl RedisSessions {
    /// Connects, or fails within [`auth_core::redis::START_TIMEOUT`] with a message that names
    /// the URL: a server that cannot reach its store at start says so at once
    /// rather than answering 503 to everything. Once it runs, a lost Redis is
    /// reconnected to forever.
    ///
    /// The index of each user's sessions goes under `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let pool = auth_core::redis::connect(url, "SESSION_STORE").await?;
        let index = Index {
            prefix: prefix.to_owned(),
            write: Script::from_lua(include_str!("redis/index.lua")),
            end_all: Script::from_lua(include_str!("redis/end_all.lua")),
        };
        Ok(Self {
            store: RedisSessionStore {
                store: RedisStore::new(pool.clone()),
                pool: pool.clone(),
                index,
            },
            pool,
        })
    }

    /// The live sessions of user `user`; index entries whose session is
    /// gone (logged out, expired) are dropped on the way.
    pub async fn of_user(&self, user: i64) -> session_store::Result<Vec<Record>> {
        let key = self.store.index.key(user);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let _: i64 = self
            .pool
            .zremrangebyscore(&key, f64::NEG_INFINITY, now as f64)
            .await
            .map_err(backend)?;
        let ids: Vec<String> = self
            .pool
            .zrange(&key, 0, -1, None, false, None, false)
            .await
            .map_err(backend)?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            let loaded = match id.parse::<Id>() {
                Ok(parsed) => self.store.load(&parsed).await?,
                Err(_) => None,
            };
            match loaded {
                Some(record) => records.push(record),
                None => {
                    let _: i64 = self.pool.zrem(&key, id).await.map_err(backend)?;
                }
            }
        }
        Ok(records)
    }

    /// Deletes every session of user `user` but `keep`, in one atomic step.
    pub async fn end_all(&self, user: i64, keep: Option<Id>) -> session_store::Result<usize> {
        let keep = keep.map(|id| id.to_string()).unwrap_or_default();
        let ended: i64 = self
            .store
            .index
            .end_all
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.store.index.key(user)],
                vec![keep],
            )
            .await
            .map_err(backend)?;
        Ok(usize::try_from(ended).unwrap_or(0))
    }

    /// Entries of the per-user index, for `/debug/store`: `ZCARD` of every
    /// set under the prefix, walked with `SCAN`.
    pub async fn index_entries(
        &self,
    ) -> Result<i64, tower_sessions_redis_store::fred::error::Error> {
        let pattern = format!("{}logins:*", self.store.index.prefix);
        let mut entries = 0i64;
        let mut cursor = "0".to_owned();
        loop {
            let (next, keys): (String, Vec<String>) = self
                .pool
                .scan_page(cursor, pattern.as_str(), Some(1_000), None)
                .await?;
            for key in keys {
                let n: i64 = self.pool.zcard(key.as_str()).await?;
                entries += n;
            }
            if next == "0" {
                return Ok(entries);
            }
            cursor = next;
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The store the session layer uses.
    pub fn store(&self) -> RedisSessionStore {
        self.store.clone()
    }

    /// Sessions held and their bytes, asked of Redis: the keys shaped like a
    /// session id in this logical database, walked with `SCAN` (never `KEYS`,
    /// which blocks Redis while it walks them all), and `STRLEN` of each value:
    /// the bytes of the encoded record, comparable with the `db` store's
    /// `OCTET_LENGTH(data)`, where `MEMORY USAGE` would add Redis' own overhead.
    pub async fn stats(
        &self,
    ) -> Result<(i64, i64), tower_sessions_redis_store::fred::error::Error> {
        let pattern = "?".repeat(ID_LEN);
        let (mut entries, mut bytes) = (0i64, 0i64);
        let mut cursor = "0".to_owned();
        loop {
            let (next, keys): (String, Vec<String>) = self
                .pool
                .scan_page(cursor, pattern.as_str(), Some(1_000), None)
                .await?;
            for key in keys {
                // Another tenant of the database may own a key of that length.
                if key.parse::<Id>().is_err() {
                    continue;
                }
                // A key that expired between SCAN and STRLEN counts 0 bytes.
                let len: i64 = self.pool.strlen(key.as_str()).await?;
                if len > 0 {
                    entries += 1;
                    bytes += len;
                }
            }
            if next == "0" {
                return Ok((entries, bytes));
            }
            cursor = next;
        }
    }

    /// What /health asks: a `PING` round trip.
    pub fn health_check(&self) -> RedisCheck {
        RedisCheck {
            name: "session_store",
            pool: self.pool.clone(),
        }
    }
}

/// tower-sessions-redis-store's `RedisStore`, with one correction: a `save`
/// that `XX` refused because the key is gone (logged out or expired while the
/// request ran) is what it should be, a no-op, not an error that would turn
/// the response into a 500 or a 503. Every other error still fails the request.
///
/// It also keeps the per-user index: each write of a login's record writes
/// its entry.
#[derive(Clone, Debug)]
pub struct RedisSessionStore {
    store: RedisStore<Pool>,
    pool: Pool,
    index: Index,
}

impl RedisSessionStore {
    async fn index(&self, record: &Record, mode: &str) -> session_store::Result<()> {
        let Some(user) = SessionUser::of(record).map(|u| u.id) else {
            return Ok(());
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let _: i64 = self
            .index
            .write
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.index.key(user)],
                vec![
                    record.id.to_string(),
                    super::index_expiry(record).to_string(),
                    now.to_string(),
                    mode.to_owned(),
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    /// Creates the session, then its index entry; a session whose entry
    /// cannot be written is deleted again, so that no login escapes the index.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await?;
        if let Err(e) = self.index(record, "create").await {
            let _ = self.store.delete(&record.id).await;
            return Err(e);
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self.store.save(record).await {
            Err(session_store::Error::Backend(message)) if message.contains(NIL_AS_BOOL) => {
                tracing::debug!("session gone before its save (logout or expiry): not re-created");
                return Ok(());
            }
            other => other?,
        }
        self.index(record, "save").await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load(id).await
    }

    /// Deletes the session; its index entry goes at the next listing or
    /// write of the user's index, or with its expiry.
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete(id).await
    }
}
