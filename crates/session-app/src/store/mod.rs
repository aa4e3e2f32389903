//! The one place that knows which session stores exist and builds the layer.

mod memory;
mod redis;

use std::{str::FromStr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use sqlx::{
    mysql::{MySqlConnectOptions, MySqlPoolOptions},
    postgres::PgPoolOptions,
    sqlite::SqlitePoolOptions,
};
use tower_sessions::{
    Expiry, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time},
    session_store::ExpiredDeletion,
};
use tower_sessions_sqlx_store::{MySqlStore, PostgresStore, SqliteStore};

use auth_core::{
    ApiError, Database, Health,
    db::Backend,
    stats::{MeasuredStore, StoreStats},
};
pub use memory::MemoryStore;
pub use redis::{RedisSessionStore, RedisSessions};

use crate::Config;

/// How often expired sessions are swept out of the store (Redis expires its
/// keys itself and needs no sweep).
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Connections of a `db` store's own pool, and the longest a request waits for
/// one: sqlx's default is 30 s, far too long to learn that the database is down.
const DB_POOL_SIZE: u32 = 8;
const DB_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The session table in MySQL/MariaDB, beside the users (see `open`).
const MYSQL_TABLE: &str = "tower_sessions";

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
    Memory(MemoryStore),
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    /// With the name of the database that holds its table.
    MySql(MySqlStore, String),
    Redis(RedisSessions),
}

impl SessionBackend {
    /// Opens the store named by `config.session_store`; a `db` store gets its
    /// table in the users' database, a `redis` store connects to `REDIS_URL`.
    pub async fn open(config: &Config, db: &Database) -> anyhow::Result<Self> {
        let backend = match config.session_store {
            SessionStoreKind::Memory => Self::Memory(MemoryStore::default()),
            SessionStoreKind::Redis => {
                Self::Redis(RedisSessions::connect(&config.redis_url).await?)
            }
            SessionStoreKind::Db => {
                let url = db.url();
                let context = || {
                    format!(
                        "cannot open the session table in {}",
                        auth_core::db::redact(url)
                    )
                };
                match db.backend() {
                    Backend::Sqlite => {
                        let pool = SqlitePoolOptions::new()
                            .max_connections(DB_POOL_SIZE)
                            .acquire_timeout(DB_ACQUIRE_TIMEOUT)
                            .connect(url)
                            .await
                            .with_context(context)?;
                        let store = SqliteStore::new(pool);
                        store.migrate().await.with_context(context)?;
                        Self::Sqlite(store)
                    }
                    Backend::Postgres => {
                        // Its own schema `tower_sessions` inside the users' database.
                        let pool = PgPoolOptions::new()
                            .max_connections(DB_POOL_SIZE)
                            .acquire_timeout(DB_ACQUIRE_TIMEOUT)
                            .connect(url)
                            .await
                            .with_context(context)?;
                        let store = PostgresStore::new(pool);
                        store.migrate().await.with_context(context)?;
                        Self::Postgres(store)
                    }
                    Backend::MySql => {
                        // MySqlStore's default schema `tower_sessions` is, on MySQL,
                        // a database of its own, shared by every app on the server
                        // and left behind when the users' database is dropped: keep
                        // the table in the users' database instead.
                        let options = MySqlConnectOptions::from_str(url).with_context(context)?;
                        let schema = options.get_database().map(str::to_owned).ok_or_else(|| {
                            anyhow::anyhow!(
                                "DATABASE_URL {} names no database: SESSION_STORE=db needs one (mysql://user@host/NAME)",
                                auth_core::db::redact(url)
                            )
                        })?;
                        let pool = MySqlPoolOptions::new()
                            .max_connections(DB_POOL_SIZE)
                            .acquire_timeout(DB_ACQUIRE_TIMEOUT)
                            .connect_with(options)
                            .await
                            .with_context(context)?;
                        let store = MySqlStore::new(pool)
                            .with_schema_name(&schema)
                            .and_then(|s| s.with_table_name(MYSQL_TABLE))
                            .map_err(anyhow::Error::msg)
                            .with_context(context)?;
                        store.migrate().await.with_context(context)?;
                        Self::MySql(store, schema)
                    }
                }
            }
        };
        Ok(backend)
    }

    /// Wraps `router` in the session layer for this store, and starts sweeping
    /// its expired sessions where the store does not expire them itself.
    pub fn layer(&self, router: Router, config: &Config) -> Router {
        match self {
            Self::Memory(s) => with_sessions(router, swept(s), config),
            Self::Sqlite(s) => with_sessions(router, swept(s), config),
            Self::Postgres(s) => with_sessions(router, swept(s), config),
            Self::MySql(s, _) => with_sessions(router, swept(s), config),
            Self::Redis(s) => with_sessions(router, s.store(), config),
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

fn swept<S: ExpiredDeletion + Clone>(store: &S) -> S {
    let sweeper = store.clone();
    auth_core::sweep::every(SWEEP_EVERY, "sessions", move || {
        let sweeper = sweeper.clone();
        async move { sweeper.delete_expired().await }
    });
    store.clone()
}

fn with_sessions<S>(router: Router, store: S, config: &Config) -> Router
where
    S: SessionStore + Clone,
{
    let ttl =
        time::Duration::seconds(i64::try_from(config.session_ttl.as_secs()).unwrap_or(i64::MAX));
    let layer = SessionManagerLayer::new(store)
        .with_name("sid")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_secure(config.cookie_secure)
        // tower-sessions saves (and so extends) a session only when a handler
        // changes it, and ours change it only at login: the lifetime runs from
        // login, like the JWT's. Sliding it would cost a store write on every
        // request (`with_always_save`), and a write is what could bring back a
        // session deleted by a concurrent logout.
        .with_expiry(Expiry::OnInactivity(ttl));
    router.layer(layer)
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
            SessionBackend::Sqlite(_) => "tower_sessions".to_owned(),
            SessionBackend::Postgres(_) => "tower_sessions.session".to_owned(),
            SessionBackend::MySql(_, schema) => format!("`{schema}`.`{MYSQL_TABLE}`"),
        };
        self.db
            .measure(&table, &self.db.backend().byte_length("data"))
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
}
