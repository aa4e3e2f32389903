use std::{borrow::Cow, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    AnyPool, Executor, Row,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

use crate::{
    ApiError, mysql_migration_lock::MySqlMigrationLock, sqlite_file::SqliteFile, stats::StoreStats,
};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
static MYSQL: Migrator = sqlx::migrate!("./migrations/mysql");

/// How long a SQLite writer waits for another one (another server on the same
/// file, too) before giving up with SQLITE_BUSY: every SQLite pool of the
/// servers sets it.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which SQL dialect a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::MySql),
            other => anyhow::bail!(
                "DATABASE_URL scheme `{other}:` is not supported (use sqlite:, postgres:// or mysql://)"
            ),
        }
    }

    /// The SQL for the byte length of `column`: SQLite's LENGTH counts the
    /// bytes of a BLOB; elsewhere LENGTH may count characters.
    pub fn byte_length(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("LENGTH({column})"),
            Self::Postgres | Self::MySql => format!("OCTET_LENGTH({column})"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        }
    }
}

/// The users' database, whichever of SQLite, PostgreSQL or MySQL/MariaDB it is.
///
/// One `AnyPool` serves all three so that the queries are written once; the
/// only dialect difference they meet is the placeholder, handled by [`Database::sql`].
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

impl Database {
    /// Connects (creating a SQLite file and its folder if needed) and runs the
    /// migrations, which any number of processes starting together may do:
    /// one migrates, the others wait for it (see [`SqliteFile`] and
    /// [`MySqlMigrationLock`]; sqlx's own lock serves on PostgreSQL).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut url = url.replacen("mariadb:", "mysql:", 1);
        let file = match backend {
            Backend::Sqlite => SqliteFile::from_url(&url),
            Backend::Postgres | Backend::MySql => None,
        };
        if let Some(file) = &file {
            url = file.prepare(&url)?;
        }
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("DATABASE_URL `{}` is not valid", redact(&url)))?;
        // An in-memory SQLite database exists once per connection: keep one.
        let max = if url.contains(":memory:") || url.contains("mode=memory") {
            1
        } else {
            8
        };
        let _migrating = match &file {
            Some(file) => Some(file.lock_for_migration().await?),
            None => None,
        };
        let mysql_lock = match backend {
            Backend::MySql => Some(
                MySqlMigrationLock::acquire(&options)
                    .await
                    .with_context(|| format!("cannot lock {} to migrate it", redact(&url)))?,
            ),
            Backend::Sqlite | Backend::Postgres => None,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(3))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A writer that finds the file locked waits this long
                        // before SQLITE_BUSY, which the API answers 503.
                        let ms = SQLITE_BUSY_TIMEOUT.as_millis();
                        conn.execute(format!("PRAGMA busy_timeout = {ms}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
        if file.is_some() {
            // Readers then no longer block the writer, nor it them. The mode
            // stays with the file; switching needs the file to itself, which
            // the migration lock gives against other starting servers.
            if let Err(e) = sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
            {
                tracing::warn!("the SQLite file stays in its journal mode, not WAL: {e}");
            }
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
            Backend::MySql => &MYSQL,
        };
        migrator
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate the database at {}", redact(&url)))?;
        if let Some(lock) = mysql_lock {
            lock.release().await;
        }
        Ok(Self { pool, backend, url })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it was opened with, for a store that needs its own typed pool.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Rewrites `?` placeholders to `$1, $2, …` for PostgreSQL; the others take `?`.
    pub fn sql<'q>(&self, query: &'q str) -> Cow<'q, str> {
        if self.backend != Backend::Postgres {
            return Cow::Borrowed(query);
        }
        let mut out = String::with_capacity(query.len() + 8);
        let mut n = 0;
        for c in query.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }

    /// Rows of `table` and the sum of `bytes` (an SQL expression per row),
    /// for `/debug/store`. The sum is cast to a 64-bit integer, since MySQL's
    /// SUM is a DECIMAL that the Any driver cannot decode.
    pub async fn measure(&self, table: &str, bytes: &str) -> Result<StoreStats, ApiError> {
        let int = match self.backend {
            Backend::MySql => "SIGNED",
            Backend::Sqlite | Backend::Postgres => "BIGINT",
        };
        let sql = format!("SELECT COUNT(*), CAST(COALESCE(SUM({bytes}), 0) AS {int}) FROM {table}");
        let row = sqlx::query(&sql).fetch_one(&self.pool).await?;
        let get = |i| {
            row.try_get::<i64, _>(i)
                .map_err(|e| ApiError::Internal(e.into()))
        };
        Ok(StoreStats {
            entries: get(0)?,
            bytes: get(1)?,
        })
    }

    /// A round trip to the server, for /health.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// The URL without its password, for messages and logs. In a Redis URL a
/// user-info without a colon (`redis://secret@host`) is the password, as
/// redis-cli reads it; elsewhere it is a user name.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let (head, userinfo, tail) = (&url[..scheme + 3], &url[scheme + 3..at], &url[at..]);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{head}{user}:***{tail}"),
                None if head.starts_with("redis") => format!("{head}:***{tail}"),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data/auth.db"), "sqlite://data/auth.db");
        assert_eq!(redact("redis://secret@h:6379/2"), "redis://:***@h:6379/2");
        assert_eq!(redact("rediss://u:secret@h"), "rediss://u:***@h");
        assert_eq!(redact("postgres://user@h/db"), "postgres://user@h/db");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(Backend::from_url("oracle://x").is_err());
        assert_eq!(Backend::from_url("mariadb://x").ok(), Some(Backend::MySql));
    }
}
