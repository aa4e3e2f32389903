//! The one place that knows which session stores exist and builds the layer.

mod memory;
mod redis;

use std::{str::FromStr, time::Duration};

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
use futures::future::BoxFuture;
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
    tokio::spawn(sweep_expired(store.clone()));
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

/// Deletes expired sessions forever; a failed sweep (store down) is logged
/// and retried at the next tick instead of ending the loop.
async fn sweep_expired<S: ExpiredDeletion>(store: S) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

/// The session store with the database it may live in, measurable for `/debug/store`.
pub struct MeasuredSessions {
    pub sessions: SessionBackend,
    pub db: Database,
}

impl MeasuredStore for MeasuredSessions {
    fn stats(&self) -> BoxFuture<'_, Result<StoreStats, ApiError>> {
        Box::pin(async move {
            let (entries, bytes) = self.sessions.stats(&self.db).await?;
            Ok(StoreStats { entries, bytes })
        })
    }
}

impl SessionBackend {
    /// Sessions the store holds now and their bytes, asked of the store itself.
    pub async fn stats(&self, db: &Database) -> Result<(i64, i64), ApiError> {
        let sql = match self {
            Self::Memory(store) => {
                let (entries, bytes) = store.stats();
                return Ok((entries as i64, bytes as i64));
            }
            Self::Redis(store) => {
                return store
                    .stats()
                    .await
                    .map_err(|e| ApiError::store_down("session store", e));
            }
            Self::Sqlite(_) => {
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM tower_sessions".to_owned()
            }
            Self::Postgres(_) => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(OCTET_LENGTH(data)), 0) AS BIGINT) FROM tower_sessions.session".to_owned()
            }
            // SUM is DECIMAL on MySQL, which the Any driver cannot decode: cast it.
            Self::MySql(_, schema) => format!(
                "SELECT COUNT(*), CAST(COALESCE(SUM(OCTET_LENGTH(data)), 0) AS SIGNED) FROM `{schema}`.`{MYSQL_TABLE}`"
            ),
        };
        let row = sqlx::query(&sql).fetch_one(db.pool()).await?;
        use sqlx::Row;
        let get = |i| {
            row.try_get::<i64, _>(i)
                .map_err(|e| ApiError::Internal(e.into()))
        };
        Ok((get(0)?, get(1)?))
    }
}
