//! Throwaway databases for tests: one per test, so tests run in parallel
//! without seeing each other's rows, and dropped at the end, also when the
//! test fails (the guard's `Drop` runs while a panic unwinds).
//!
//! PostgreSQL and MySQL/MariaDB databases are created on the servers named by
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! `TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`); the database
//! in those URLs is only used to connect. A server that does not answer skips
//! the test with a loud line on stderr, except under `CI=true`, where it fails.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sqlx::{Connection, Executor, MySqlConnection, PgConnection, Row};
use tempfile::TempDir;

/// Which database server a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
    MySql,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Sqlite, Kind::Postgres, Kind::MySql];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        }
    }

    /// The server's URL; its database is only where the admin connection lands.
    pub fn server_url(self) -> Option<String> {
        let (var, default) = match self {
            Self::Sqlite => return None,
            Self::Postgres => (
                "TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            Self::MySql => ("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }
}

/// Names start with this, so that a sweep never touches anyone else's database.
const PREFIX: &str = "ac_t_";
/// A database of a killed test run (no `Drop` ran) is swept after this long.
const STALE_AFTER: Duration = Duration::from_secs(2 * 3600);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DROP_TIMEOUT: Duration = Duration::from_secs(20);

/// A database that exists for one test. Dropping it drops the database.
pub struct TestDatabase {
    kind: Kind,
    url: String,
    /// The server URL and database name, for the drop; `None` for SQLite.
    server: Option<(String, String)>,
    /// SQLite: the folder of the file, removed with it.
    _dir: Option<TempDir>,
}

impl TestDatabase {
    /// A fresh, empty database of `kind`, or `None` (after a `SKIPPED:` line on
    /// stderr) when its server is unreachable and `CI` is not `true`.
    pub async fn create(kind: Kind) -> Option<Self> {
        let Some(server) = kind.server_url() else {
            let dir = crate::data_dir();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
            return Some(Self {
                kind,
                url,
                server: None,
                _dir: Some(dir),
            });
        };
        let name = fresh_name();
        match tokio::time::timeout(CONNECT_TIMEOUT, create_on(kind, &server, &name)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return unreachable(kind, &server, &e.to_string()),
            Err(_) => return unreachable(kind, &server, "no answer within 5 s"),
        }
        Some(Self {
            kind,
            url: with_database(&server, &name),
            server: Some((server, name)),
            _dir: None,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What `DATABASE_URL` should say to use this database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.server.take() else {
            return;
        };
        let kind = self.kind;
        // `Drop` cannot await, and blocking on the test's own runtime could
        // deadlock it: drop the database from a thread with its own runtime
        // and a connection of its own, and wait for it (bounded).
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(rt) => rt.block_on(async {
                    tokio::time::timeout(DROP_TIMEOUT, drop_on(kind, &server, &name))
                        .await
                        .unwrap_or_else(|_| {
                            Err(anyhow::anyhow!("no answer within {DROP_TIMEOUT:?}"))
                        })
                        .map_err(|e| format!("{name}: {e}"))
                }),
                Err(e) => Err(format!("{name}: no runtime for the drop: {e}")),
            }
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop the test database {e}"),
            Err(_) => eprintln!("warning: the thread dropping a test database panicked"),
        }
    }
}

fn unreachable(kind: Kind, server: &str, why: &str) -> Option<TestDatabase> {
    let what = match kind {
        Kind::Sqlite => "SQLite",
        Kind::Postgres => "PostgreSQL",
        Kind::MySql => "MySQL/MariaDB",
    };
    let var = match kind {
        Kind::Postgres => "TEST_POSTGRES_URL",
        _ => "TEST_MYSQL_URL",
    };
    crate::skip_or_fail(&format!(
        "{what} not reachable at {server} ({why}); set {var} to another server"
    ));
    None
}

/// `ac_t_<unix seconds>_<pid>_<n>`: unique among live test processes, and
/// dated so that a later run can sweep what a killed one left behind.
fn fresh_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{PREFIX}{secs}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The creation time in a name made by [`fresh_name`].
fn created_at(name: &str) -> Option<u64> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
}

fn is_stale(name: &str) -> bool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    created_at(name).is_some_and(|t| now.saturating_sub(t) > STALE_AFTER.as_secs())
}

/// `url` with its path (the database) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn create_on(kind: Kind, server: &str, name: &str) -> anyhow::Result<()> {
    match kind {
        Kind::Sqlite => Ok(()),
        Kind::Postgres => {
            let mut conn = PgConnection::connect(server).await?;
            let names: Vec<String> =
                sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'ac\\_t\\_%'")
                    .fetch_all(&mut conn)
                    .await?
                    .iter()
                    .filter_map(|r| r.try_get::<String, _>(0).ok())
                    .collect();
            for stale in names.iter().filter(|n| is_stale(n)) {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS \"{stale}\" WITH (FORCE)").as_str())
                    .await;
            }
            conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await?;
            conn.close().await?;
            Ok(())
        }
        Kind::MySql => {
            let mut conn = MySqlConnection::connect(server).await?;
            let names: Vec<String> = sqlx::query(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'ac\\_t\\_%'",
            )
            .fetch_all(&mut conn)
            .await?
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .collect();
            for stale in names.iter().filter(|n| is_stale(n)) {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS `{stale}`").as_str())
                    .await;
            }
            conn.execute(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4").as_str())
                .await?;
            conn.close().await?;
            Ok(())
        }
    }
}

async fn drop_on(kind: Kind, server: &str, name: &str) -> anyhow::Result<()> {
    match kind {
        Kind::Sqlite => Ok(()),
        Kind::Postgres => {
            let mut conn = PgConnection::connect(server).await?;
            // FORCE (PostgreSQL 13+) ends the connections a server under test
            // may still hold (a pool, a background sweep): without it the drop
            // fails with "database is being accessed by other users".
            conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await?;
            conn.close().await?;
            Ok(())
        }
        Kind::MySql => {
            let mut conn = MySqlConnection::connect(server).await?;
            // Connections still open on it could hold metadata locks that make
            // DROP DATABASE wait: end them first, and bound the wait anyway.
            let ids: Vec<u64> = sqlx::query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
            )
            .bind(name)
            .fetch_all(&mut conn)
            .await?
            .iter()
            // BIGINT UNSIGNED on MySQL, signed on some MariaDB releases.
            .filter_map(|r| {
                r.try_get::<u64, _>(0)
                    .ok()
                    .or_else(|| r.try_get::<i64, _>(0).ok().map(|id| id as u64))
            })
            .collect();
            for id in ids {
                // Gone already is fine: the aim is that it is gone.
                let _ = conn.execute(format!("KILL {id}").as_str()).await;
            }
            conn.execute("SET SESSION lock_wait_timeout = 15").await?;
            conn.execute(format!("DROP DATABASE IF EXISTS `{name}`").as_str())
                .await?;
            conn.close().await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_in_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }

    #[test]
    fn names_carry_their_age() {
        let name = fresh_name();
        assert!(name.starts_with(PREFIX));
        assert!(created_at(&name).is_some());
        assert!(!is_stale(&name));
        assert!(is_stale("ac_t_1000_1_0"));
        assert!(!is_stale("someone_elses_db"));
    }
}
