//! The one place that knows which session stores exist and builds the layer.

mod memory;

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tower_sessions::{
    Expiry, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time},
    session_store::ExpiredDeletion,
};
use tower_sessions_sqlx_store::{MySqlStore, PostgresStore, SqliteStore};

use auth_core::{Database, db::Backend};
pub use memory::MemoryStore;

use crate::Config;

/// How often expired sessions are swept out of the store.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SessionStoreKind {
    /// In the server's memory: fast, lost on restart, not shared between instances.
    Memory,
    /// In the users' database (SQLite, PostgreSQL or MySQL/MariaDB).
    Db,
}

impl SessionStoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Db => "db",
        }
    }
}

/// A session store, opened.
#[derive(Clone, Debug)]
pub enum SessionBackend {
    Memory(MemoryStore),
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    MySql(MySqlStore),
}

impl SessionBackend {
    /// Opens the store; a `db` store gets its table in the users' database.
    pub async fn open(kind: SessionStoreKind, db: &Database) -> anyhow::Result<Self> {
        let backend = match kind {
            SessionStoreKind::Memory => Self::Memory(MemoryStore::default()),
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
                        let store = SqliteStore::new(
                            sqlx::SqlitePool::connect(url).await.with_context(context)?,
                        );
                        store.migrate().await.with_context(context)?;
                        Self::Sqlite(store)
                    }
                    Backend::Postgres => {
                        let store = PostgresStore::new(
                            sqlx::PgPool::connect(url).await.with_context(context)?,
                        );
                        store.migrate().await.with_context(context)?;
                        Self::Postgres(store)
                    }
                    Backend::MySql => {
                        let store = MySqlStore::new(
                            sqlx::MySqlPool::connect(url).await.with_context(context)?,
                        );
                        store.migrate().await.with_context(context)?;
                        Self::MySql(store)
                    }
                }
            }
        };
        Ok(backend)
    }

    /// Wraps `router` in the session layer for this store, and starts sweeping
    /// its expired sessions.
    pub fn layer(&self, router: Router, config: &Config) -> Router {
        match self {
            Self::Memory(s) => with_sessions(router, s.clone(), config),
            Self::Sqlite(s) => with_sessions(router, s.clone(), config),
            Self::Postgres(s) => with_sessions(router, s.clone(), config),
            Self::MySql(s) => with_sessions(router, s.clone(), config),
        }
    }
}

fn with_sessions<S>(router: Router, store: S, config: &Config) -> Router
where
    S: SessionStore + ExpiredDeletion + Clone,
{
    tokio::spawn(sweep_expired(store.clone()));
    let ttl =
        time::Duration::seconds(i64::try_from(config.session_ttl.as_secs()).unwrap_or(i64::MAX));
    let layer = SessionManagerLayer::new(store)
        .with_name("sid")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_secure(config.cookie_secure)
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

impl SessionBackend {
    /// Sessions the store holds now and their bytes, asked of the store itself.
    pub async fn stats(&self, db: &Database) -> Result<(i64, i64), auth_core::ApiError> {
        let sql = match self {
            Self::Memory(store) => {
                let (entries, bytes) = store.stats();
                return Ok((entries as i64, bytes as i64));
            }
            Self::Sqlite(_) => {
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM tower_sessions"
            }
            Self::Postgres(_) => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(OCTET_LENGTH(data)), 0) AS BIGINT) FROM tower_sessions.session"
            }
            Self::MySql(_) => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(OCTET_LENGTH(data)), 0) AS SIGNED) FROM tower_sessions.session"
            }
        };
        let row = sqlx::query(sql).fetch_one(db.pool()).await?;
        use sqlx::Row;
        let get = |i| {
            row.try_get::<i64, _>(i)
                .map_err(|e| auth_core::ApiError::Internal(e.into()))
        };
        Ok((get(0)?, get(1)?))
    }
}
