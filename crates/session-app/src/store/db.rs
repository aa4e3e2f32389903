//! Sessions in the users' database, through tower-sessions-sqlx-store: one
//! table beside the users, in whichever dialect `DATABASE_URL` names. The
//! store has a pool of its own (it takes a typed sqlx pool, auth-core's
//! queries an `AnyPool`), pointed at the same database.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{mysql::MySqlConnectOptions, pool::PoolOptions};
use tower_sessions_sqlx_store::{MySqlStore, PostgresStore, SqliteStore};

use auth_core::{Database, db::Backend};

/// Connections of the store's own pool, and the longest a request waits for
/// one: sqlx's default is 30 s, far too long to learn that the database is down.
const POOL_SIZE: u32 = 8;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The session table in MySQL/MariaDB, beside the users (see [`DbSessions::open`]).
const MYSQL_TABLE: &str = "tower_sessions";

/// The `db` session store, opened on the users' database.
#[derive(Clone, Debug)]
pub enum DbSessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    /// With the name of the database that holds its table.
    MySql(MySqlStore, String),
}

impl DbSessions {
    /// Opens the session table in `db`, creating it if needed.
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let url = db.url();
        let context = || {
            format!(
                "cannot open the session table in {}",
                auth_core::db::redact(url)
            )
        };
        let store = match db.backend() {
            Backend::Sqlite => {
                let pool = pool_options().connect(url).await.with_context(context)?;
                let store = SqliteStore::new(pool);
                store.migrate().await.with_context(context)?;
                Self::Sqlite(store)
            }
            Backend::Postgres => {
                // Its own schema `tower_sessions` inside the users' database.
                let pool = pool_options().connect(url).await.with_context(context)?;
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
                let pool = pool_options()
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
        };
        Ok(store)
    }

    /// The session table, named as a query in the users' database must name
    /// it (for `Database::measure`).
    pub fn table(&self) -> String {
        match self {
            Self::Sqlite(_) => "tower_sessions".to_owned(),
            Self::Postgres(_) => "tower_sessions.session".to_owned(),
            Self::MySql(_, schema) => format!("`{schema}`.`{MYSQL_TABLE}`"),
        }
    }
}

fn pool_options<DB: sqlx::Database>() -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
}
