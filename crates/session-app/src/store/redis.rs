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

use async_trait::async_trait;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};
use tower_sessions_redis_store::{
    RedisStore,
    fred::{clients::Pool, interfaces::KeysInterface},
};

use auth_core::redis::RedisCheck;

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

impl RedisSessions {
    /// Connects, or fails within [`auth_core::redis::START_TIMEOUT`] with a message that names
    /// the URL: a server that cannot reach its store at start says so at once
    /// rather than answering 503 to everything. Once it runs, a lost Redis is
    /// reconnected to forever.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = auth_core::redis::connect(url, "SESSION_STORE").await?;
        Ok(Self {
            store: RedisSessionStore(RedisStore::new(pool.clone())),
            pool,
        })
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
#[derive(Clone, Debug)]
pub struct RedisSessionStore(RedisStore<Pool>);

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.0.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self.0.save(record).await {
            Err(session_store::Error::Backend(message)) if message.contains(NIL_AS_BOOL) => {
                tracing::debug!("session gone before its save (logout or expiry): not re-created");
                Ok(())
            }
            other => other,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete(id).await
    }
}
