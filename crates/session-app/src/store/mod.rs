//! The one place that knows which session stores exist and builds the layer;
//! each store is a file of its own (memory.rs, db.rs, redis.rs).

mod counted;
mod db;
mod memory;
mod redis;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    middleware,
    response::Response,
};
use tower_sessions::{
    Expiry, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time},
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};

use auth_core::{
    ApiError, Database, Health, cookie_names,
    cors::CookieSameSite,
    stats::{MeasuredStore, StoreStats, Writes},
};
use counted::Counted;
pub use db::DbSessions;
pub use memory::MemorySessions;
pub use redis::{RedisSessionStore, RedisSessions};

/// How often expired sessions, and their index entries, are swept out of
/// the store at most (Redis expires its keys itself and needs no sweep);
/// sooner when sessions live shorter than that.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SessionStoreKind {
    /// In the server's memory: fast, lost on restart, not shared between instances.
    Memory,
    /// In the users' database (SQLite, PostgreSQL or MySQL/MariaDB).
    Db,
    /// In Redis (`REDIS_URL`): shared by every instance, expired by Redis itself.
    Redis,
}

impl SessionStoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Db => "db",
            Self::Redis => "redis",
        }
    }
}

/// A session store, opened.
#[derive(Clone, Debug)]
pub enum SessionBackend {
    Memory(MemorySessions),
    Db(DbSessions),
    Redis(RedisSessions),
}

impl SessionBackend {
    /// The Redis connection of a `redis` store, for what else should be shared there.
    pub fn redis_pool(&self) -> Option<&tower_sessions_redis_store::fred::clients::Pool> {
        match self {
            Self::Redis(redis) => Some(redis.pool()),
            Self::Memory(_) | Self::Db(_) => None,
        }
    }

    /// Opens the store of `kind`; a `db` store gets its table in the users'
    /// database `db`, a `redis` store connects to `redis_url`.
    /// Its per-user index in Redis goes under `redis_prefix`.
    pub async fn open(
        kind: SessionStoreKind,
        redis_url: &str,
        redis_prefix: &str,
        db: &Database,
    ) -> anyhow::Result<Self> {
        let backend = match kind {
            SessionStoreKind::Memory => Self::Memory(MemorySessions::default()),
            SessionStoreKind::Redis => {
                Self::Redis(RedisSessions::connect(redis_url, redis_prefix).await?)
            }
            SessionStoreKind::Db => Self::Db(DbSessions::open(db).await?),
        };
        Ok(backend)
    }

    /// Wraps `router` in the session layer for this store, and starts sweeping
    /// its expired sessions where the store does not expire them itself. A
    /// session lives `ttl` at most (each login sets its own deadline, see
    /// `Lifetimes`); its cookie is set as `cookie` says. The layer's writes
    /// are counted in `writes`.
    pub fn layer(
        &self,
        router: Router,
        ttl: Duration,
        cookie: SessionCookie,
        writes: Arc<Writes>,
    ) -> Router {
        let sweep = SWEEP_EVERY.min(ttl).max(Duration::from_secs(1));
        match self {
            Self::Memory(s) => {
                with_sessions(router, Counted::new(swept(s, sweep), writes), ttl, cookie)
            }
            Self::Db(s) => {
                with_sessions(router, Counted::new(swept(s, sweep), writes), ttl, cookie)
            }
            Self::Redis(s) => with_sessions(router, Counted::new(s.store(), writes), ttl, cookie),
        }
    }

    /// The live sessions of user `user`, found through the store's per-user
    /// index (never a scan of every session).
    pub async fn of_user(&self, user: i64) -> session_store::Result<Vec<Record>> {
        match self {
            Self::Memory(s) => Ok(s.of_user(user)),
            Self::Db(s) => s.of_user(user).await,
            Self::Redis(s) => s.of_user(user).await,
        }
    }

    /// Ends every session of user `user` but `keep`, all at once on every
    /// store (one lock, one transaction, one script): how many were live.
    pub async fn end_all(&self, user: i64, keep: Option<Id>) -> session_store::Result<usize> {
        match self {
            Self::Memory(s) => Ok(s.end_all(user, keep)),
            Self::Db(s) => s.end_all(user, keep).await,
            Self::Redis(s) => s.end_all(user, keep).await,
        }
    }

    /// Ends session `id`.
    pub async fn end(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.delete(id).await,
            Self::Db(s) => s.delete(id).await,
            Self::Redis(s) => s.store().delete(id).await,
        }
    }

    /// The live record of session `id` as the store holds it, its expiry
    /// included (which tower-sessions' `Session` does not tell: it only
    /// knows the configured lifetime); `None` when there is none.
    pub async fn record(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(s) => s.load(id).await,
            Self::Db(s) => s.load(id).await,
            Self::Redis(s) => s.store().load(id).await,
        }
    }

    /// Adds what /health should ask beyond the users' database (which is also
    /// where a `db` store lives): Redis for the `redis` store.
    pub fn health_checks(&self, health: Health) -> Health {
        match self {
            Self::Redis(s) => health.with(s.health_check()),
            _ => health,
        }
    }
}

fn swept<S: ExpiredDeletion + Clone>(store: &S, every: Duration) -> S {
    let sweeper = store.clone();
    auth_core::sweep::every(every, "sessions", move || {
        let sweeper = sweeper.clone();
        async move { sweeper.delete_expired().await }
    });
    store.clone()
}

/// How the `sid` cookie is set; by default plain HTTP and `SameSite=Lax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionCookie {
    /// `COOKIE_SECURE`: HTTPS only, under the `__Host-` name.
    pub https: bool,
    /// `COOKIE_SAMESITE`; `None` adds `Secure` under the plain name.
    pub same_site: CookieSameSite,
}

impl SessionCookie {
    fn secure(self) -> bool {
        self.https || self.same_site.needs_secure()
    }
}

fn with_sessions<S>(router: Router, store: S, ttl: Duration, cookie: SessionCookie) -> Router
where
    S: SessionStore + Clone,
{
    let ttl = time::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
    let same_site = match cookie.same_site {
        CookieSameSite::Lax => SameSite::Lax,
        CookieSameSite::Strict => SameSite::Strict,
        CookieSameSite::None => SameSite::None,
    };
    let layer = SessionManagerLayer::new(store)
        .with_name(cookie_names::session(cookie.https))
        .with_http_only(true)
        .with_same_site(same_site)
        .with_path("/")
        .with_secure(cookie.secure())
        // tower-sessions saves (and so extends) a session only when a handler
        // changes it, and ours change it only at login: the lifetime runs from
        // login, like the JWT's. Sliding it would cost a store write on every
        // request (`with_always_save`), and a write is what could bring back a
        // session deleted by a concurrent logout.
        .with_expiry(Expiry::OnInactivity(ttl));
    let router = router.layer(layer);
    if cookie.secure() {
        router.layer(middleware::map_response_with_state(cookie, removal_as_set))
    } else {
        router
    }
}

/// tower-sessions builds the logout's removal cookie from the request's
/// cookie, which carries no attributes. A browser ignores a `__Host-` cookie
/// set without `Secure`, and a cross-site page's answer may only set (so
/// remove) a `SameSite=None; Secure` one: without them the logged-out cookie
/// would stay in its jar.
async fn removal_as_set(State(cookie): State<SessionCookie>, mut res: Response) -> Response {
    let prefix = format!("{}=", cookie_names::session(cookie.https));
    for (name, value) in res.headers_mut().iter_mut() {
        if name != header::SET_COOKIE {
            continue;
        }
        let Ok(line) = value.to_str() else { continue };
        let has = |attribute: &str| {
            line.split(';').any(|a| {
                a.trim()
                    .to_ascii_lowercase()
                    .starts_with(&attribute.to_ascii_lowercase())
            })
        };
        if !line.starts_with(&prefix) || has("secure") {
            continue;
        }
        let same_site = if has("samesite") {
            String::new()
        } else {
            format!("; SameSite={}", cookie.same_site.attribute())
        };
        if let Ok(fixed) = HeaderValue::from_str(&format!("{line}{same_site}; Secure")) {
            *value = fixed;
        }
    }
    res
}

/// The session store with the database it may live in, measurable for `/debug/store`.
struct MeasuredSessions {
    sessions: SessionBackend,
    db: Database,
}

#[async_trait::async_trait]
impl MeasuredStore for MeasuredSessions {
    /// Sessions the store holds now and their bytes, asked of the store itself.
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        let table = match &self.sessions {
            SessionBackend::Memory(store) => {
                let (entries, bytes) = store.stats();
                return Ok(StoreStats {
                    entries: entries as i64,
                    bytes: bytes as i64,
                });
            }
            SessionBackend::Redis(store) => {
                let (entries, bytes) = store
                    .stats()
                    .await
                    .map_err(|e| ApiError::store_down("session store", e))?;
                return Ok(StoreStats { entries, bytes });
            }
            SessionBackend::Db(store) => store.table(),
        };
        self.db
            .measure(table, &self.db.backend().byte_length("data"))
            .await
    }
}

impl SessionBackend {
    /// This store as `/debug/store` measures it; `db` is where a `db` store's table lives.
    pub fn measured(&self, db: &Database) -> Arc<dyn MeasuredStore> {
        Arc::new(MeasuredSessions {
            sessions: self.clone(),
            db: db.clone(),
        })
    }

    /// The per-user index as `/debug/store` counts it (`indexes.logins`).
    pub fn measured_index(&self) -> Arc<dyn MeasuredStore> {
        Arc::new(MeasuredIndex(self.clone()))
    }
}

/// The per-user index of the sessions: its entries.
struct MeasuredIndex(SessionBackend);

#[async_trait::async_trait]
impl MeasuredStore for MeasuredIndex {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        let down = |e: &dyn std::fmt::Display| ApiError::store_down("session store", e);
        let entries = match &self.0 {
            SessionBackend::Memory(s) => i64::try_from(s.index_entries()).unwrap_or(i64::MAX),
            SessionBackend::Db(s) => s.index_entries().await.map_err(|e| down(&e))?,
            SessionBackend::Redis(s) => s.index_entries().await.map_err(|e| down(&e))?,
        };
        Ok(StoreStats { entries, bytes: 0 })
    }
}

/// When a session's index entry may go: the second after its expiry, never
/// before it (an entry dropped while its session still lives, for part of a
/// second, would hide it from a sign-out everywhere).
fn index_expiry(record: &Record) -> i64 {
    record.expiry_date.unix_timestamp().saturating_add(1)
}
