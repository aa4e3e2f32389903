use std::path::Path;

use clap::Parser;
use session_app::{Config, app};
use tempfile::TempDir;
use test_support::TestServer;

pub const ADMIN: &str = "teacher@example.com";

pub struct TestApp {
    pub server: TestServer,
    /// Kept so that a restart can reopen the same data; removed on drop.
    pub dir: TempDir,
}

/// Starts session-app with `args` on top of a fast, private test setup.
pub async fn spawn_app(args: &[&str]) -> TestApp {
    let dir = test_support::data_dir();
    let server = start_in(dir.path(), args).await;
    TestApp { server, dir }
}

pub async fn start_in(dir: &Path, args: &[&str]) -> TestServer {
    try_start_in(dir, args).await.unwrap()
}

/// As [`start_in`], but a server that refuses to start is an `Err`, not a panic.
pub async fn try_start_in(dir: &Path, args: &[&str]) -> anyhow::Result<TestServer> {
    let dir = dir.to_str().unwrap();
    let base = [
        "session-app",
        "--data-dir",
        dir,
        "--bcrypt-cost",
        "4",
        "--admin-emails",
        ADMIN,
    ];
    let config = Config::try_parse_from(base.iter().chain(args))?;
    Ok(TestServer::start(app(config).await?).await)
}

impl test_support::suite::Served for TestApp {
    fn server(&self) -> &TestServer {
        &self.server
    }
}
