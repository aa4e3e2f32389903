//! The servers as the operating system runs them: real binaries in processes
//! of their own, for what one in-process server cannot show (several
//! processes racing at start-up, `just up`'s signals).
//!
//! Every process started here is killed when its guard drops, also when the
//! test fails half-way.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// How long a server may take from its start to its "listening on" line:
/// eight of them share 2 cores and wait for each other's migration.
pub const START_LIMIT: Duration = Duration::from_secs(60);

pub fn session_app() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_session-app"))
}

/// jwt-app's binary, from the build `cargo test --workspace` does: cargo
/// gives a test only its own package's binaries.
pub fn jwt_app() -> PathBuf {
    contract_client::bins::workspace_binary("jwt-app").to_owned()
}

/// A server process, killed on drop.
pub struct Server {
    pub name: String,
    child: Child,
    /// Where its stderr goes, to show why it did not start.
    log: PathBuf,
}

impl Server {
    /// Starts `exe` with `--port 0` in a clean environment plus `env`, its
    /// stderr to a file in `logs`.
    pub fn spawn(name: &str, exe: &Path, env: &[(&str, &str)], logs: &Path) -> Self {
        let log = logs.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(exe)
            .args(["--port", "0"])
            .env_clear()
            .envs(env.iter().copied())
            .env("BCRYPT_COST", "4")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// Stops it as an operator does (SIGTERM) and waits for it to exit:
    /// after this, its stderr holds every line it logged.
    pub async fn stop(&mut self) {
        let pid = self.child.id().expect("still running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
        let exited = tokio::time::timeout(START_LIMIT, self.child.wait()).await;
        assert!(
            exited.is_ok_and(|status| status.is_ok_and(|s| s.success())),
            "{} did not exit cleanly on SIGTERM; its stderr:\n{}",
            self.name,
            self.stderr()
        );
    }

    /// What it has written to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The address it printed in its "listening on http://ADDR" line.
    pub async fn address(&mut self) -> String {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let listening = tokio::time::timeout(START_LIMIT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Some(url.to_owned());
                }
            }
            None
        })
        .await;
        match listening {
            Ok(Some(url)) => url,
            _ => panic!(
                "{} did not start within {START_LIMIT:?}; its stderr:\n{}",
                self.name,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }
}
