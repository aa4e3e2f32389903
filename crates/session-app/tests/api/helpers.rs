use std::path::Path;

use clap::Parser;
use session_app::{Config, app};
use tempfile::TempDir;
use test_support::{
    TestServer,
    databases::{Kind, TestDatabase},
    redis::{Prefix, shared_redis_url},
};

pub struct TestApp {
    pub server: TestServer,
    /// Kept so that a restart can reopen the same data; removed on drop.
    pub dir: TempDir,
    /// What it was started with, for the operator's command.
    args: Vec<String>,
    /// Its own Redis key prefix (the throttle's counts), cleaned up on drop.
    _keys: Option<Prefix>,
}

/// Starts session-app with `args` on top of a fast, private test setup.
pub async fn spawn_app(args: &[&str]) -> TestApp {
    let dir = test_support::data_dir();
    let server = start_in(dir.path(), args).await;
    let args = args.iter().map(|s| (*s).to_owned()).collect();
    TestApp {
        server,
        dir,
        args,
        _keys: None,
    }
}

/// Leftover sessions of a test run expire from the shared Redis within minutes.
pub const SHARED_REDIS_TTL: &str = "10m";

// The stores a suite runs on (`contract_suite!`, `store_suite!`): each starts
// session-app with `extra` args on that store, or gives `None` when the
// store's server is unreachable outside CI (it has said so, loudly).

pub async fn memory(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(extra).await)
}

/// The `db` store in the default SQLite file in the data folder, as
/// `just run-session --session-store db` runs it.
pub async fn sqlite_db(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(&[&["--session-store", "db"], extra].concat()).await)
}

pub async fn postgres_db(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    db_app(Kind::Postgres, extra).await
}

pub async fn mysql_db(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    db_app(Kind::MySql, extra).await
}

/// The machine's Redis (`REDIS_URL`), shared with every other test.
pub async fn shared_redis(extra: &[&str]) -> Option<TestApp> {
    let url = shared_redis_url().await?;
    let args = [&["--session-ttl", SHARED_REDIS_TTL], extra].concat();
    Some(redis_app(&url, &args).await)
}

/// Users and sessions in a fresh database of `kind`, dropped with the guard.
async fn db_app(kind: Kind, extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    let db = TestDatabase::create(kind).await?;
    let args = [
        &["--database-url", db.url(), "--session-store", "db"],
        extra,
    ]
    .concat();
    let app = spawn_app(&args).await;
    Some((db, app))
}

/// session-app with its sessions in the Redis at `url`.
/// Its other keys (the throttle's counts) go under a prefix of its own, so
/// that tests sharing the machine's Redis do not count each other's attempts.
pub async fn redis_app(url: &str, extra: &[&str]) -> TestApp {
    let keys = Prefix::new(url, "session");
    let base = [
        "--session-store",
        "redis",
        "--redis-url",
        url,
        "--redis-prefix",
        &keys.prefix,
    ];
    let app = spawn_app(&[&base, extra].concat()).await;
    TestApp {
        _keys: Some(keys),
        ..app
    }
}

pub async fn start_in(dir: &Path, args: &[&str]) -> TestServer {
    try_start_in(dir, args).await.unwrap()
}

/// As [`start_in`], but a server that refuses to start is an `Err`, not a panic.
pub async fn try_start_in(dir: &Path, args: &[&str]) -> anyhow::Result<TestServer> {
    let config = Config::try_parse_from(
        base_args(dir)
            .iter()
            .map(String::as_str)
            .chain(args.iter().copied()),
    )?;
    Ok(TestServer::start(app(config).await?).await)
}

/// A fast, private setup: the data folder `dir`, cheap bcrypt.
fn base_args(dir: &Path) -> [String; 5] {
    [
        "session-app".into(),
        "--data-dir".into(),
        dir.display().to_string(),
        "--bcrypt-cost".into(),
        "4".into(),
    ]
}

impl test_support::suite::Served for TestApp {
    fn server(&self) -> &TestServer {
        &self.server
    }

    fn operator(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_session-app"));
        cmd.args(&base_args(self.dir.path())[1..]).args(&self.args);
        cmd
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}
