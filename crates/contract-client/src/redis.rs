//! Redis for the tests and the harness: the machine's (`REDIS_URL`), a
//! private `redis-server` of one's own, a look at keys the way an operator
//! would (apart from the store under test), and the clean-up of a prefix.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
pub use fred;
use fred::{
    clients::Client,
    interfaces::{ClientLike, KeysInterface},
    types::config::{Config, ConnectionConfig},
};
use tempfile::TempDir;

/// Longest a connection or one command may take.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// Longest a private redis-server may take to answer PING after its start.
const START_WITHIN: Duration = Duration::from_secs(5);
/// Longest a guarded redis-server may take to go away once told to.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A client of its own on `url`, connected, that gives up instead of
/// reconnecting: for looking, not for serving.
pub async fn inspector(url: &str) -> anyhow::Result<Client> {
    let config = Config::from_url(url).context("not a Redis URL")?;
    let connection = ConnectionConfig {
        connection_timeout: ANSWER_WITHIN,
        internal_command_timeout: ANSWER_WITHIN,
        ..ConnectionConfig::default()
    };
    let client = Client::new(config, None, Some(connection), None);
    match tokio::time::timeout(ANSWER_WITHIN, client.init()).await {
        Ok(Ok(_task)) => Ok(client),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            let _ = client.quit().await;
            bail!("no answer within {ANSWER_WITHIN:?}")
        }
    }
}

/// Connects, PINGs and says goodbye.
pub async fn ping(url: &str) -> anyhow::Result<()> {
    let client = inspector(url).await?;
    let pong: String = client.ping(None).await?;
    let _ = client.quit().await;
    anyhow::ensure!(pong == "PONG", "PING answered {pong:?}");
    Ok(())
}

/// The machine's Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`) if it
/// answers; otherwise `None` after a `SKIPPED:` line, or a failure under `CI=true`.
pub async fn shared_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    match ping(&url).await {
        Ok(()) => Some(url),
        Err(e) => {
            crate::ci::skip_or_fail(&format!(
                "Redis not reachable at {url} ({e:#}); start one with `just redis` or set REDIS_URL"
            ));
            None
        }
    }
}

/// `REDIS_URL` if it answers, else a private `redis-server` (kept alive by
/// the second half), else `None`: for what may run without Redis, such as
/// the micro-benchmarks.
pub async fn url_or_private() -> Option<(String, Option<RedisServer>)> {
    if let Ok(url) = std::env::var("REDIS_URL")
        && ping(&url).await.is_ok()
    {
        return Some((url, None));
    }
    let program = RedisServer::find()?;
    let server = RedisServer::start(&program).await.ok()?;
    Some((server.url(), Some(server)))
}

/// `TTL key` in seconds (-2: no such key, -1: no expiry).
pub async fn ttl(url: &str, key: &str) -> anyhow::Result<i64> {
    let client = inspector(url).await?;
    let secs = client.ttl(key).await?;
    let _ = client.quit().await;
    Ok(secs)
}

/// Whether `key` exists.
pub async fn exists(url: &str, key: &str) -> anyhow::Result<bool> {
    let client = inspector(url).await?;
    let n: i64 = client.exists(key).await?;
    let _ = client.quit().await;
    Ok(n == 1)
}

/// `SET key value`, with no expiry: a key the test plants.
pub async fn set(url: &str, key: &str, value: &str) -> anyhow::Result<()> {
    let client = inspector(url).await?;
    let () = client.set(key, value, None, None, false).await?;
    let _ = client.quit().await;
    Ok(())
}

/// Deletes every key under `prefix` (SCAN MATCH + UNLINK), blocking: it runs
/// in `Drop`, which is also where an interrupted run cleans up.
pub fn delete_prefix(url: &str, prefix: &str) -> anyhow::Result<()> {
    let mut conn = blocking_connection(url)?;
    scan_prefix(&mut conn, prefix, |conn, keys| {
        if !keys.is_empty() {
            redis::cmd("UNLINK").arg(&keys).exec(conn)?;
        }
        Ok(())
    })
}

/// The blocking client, with a bounded wait for every answer.
pub fn blocking_connection(url: &str) -> anyhow::Result<redis::Connection> {
    let conn = redis::Client::open(url)?.get_connection_with_timeout(ANSWER_WITHIN)?;
    conn.set_read_timeout(Some(ANSWER_WITHIN))?;
    conn.set_write_timeout(Some(ANSWER_WITHIN))?;
    Ok(conn)
}

/// Hands every batch of the keys under `prefix` to `each` (SCAN MATCH, which
/// may hand a key over twice). Prefixes are the callers' own, free of glob
/// characters.
pub fn scan_prefix(
    conn: &mut redis::Connection,
    prefix: &str,
    mut each: impl FnMut(&mut redis::Connection, Vec<String>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let pattern = format!("{prefix}*");
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query(conn)?;
        each(conn, keys)?;
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// How to run `redis-server` with its arguments: directly, or under a
/// watcher that kills it when its stdin closes (the harness's `guard`).
pub type Launch = Box<dyn Fn(&Path, &[OsString]) -> Command + Send + Sync>;

/// A `redis-server` of one's own, on a free port, that keeps nothing on disk
/// (its log aside). Killed when dropped; it can be killed and started again
/// on the same port, empty.
pub struct RedisServer {
    port: u16,
    dir: TempDir,
    program: PathBuf,
    /// `None`: run directly, and killed outright.
    launch: Option<Launch>,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl RedisServer {
    /// `redis-server` on the PATH, if there is one.
    pub fn find() -> Option<PathBuf> {
        which::which("redis-server").ok()
    }

    /// Starts `program` directly.
    pub async fn start(program: &Path) -> anyhow::Result<Self> {
        Self::start_with(program, None).await
    }

    /// Starts `program` as `launch` runs it. A port the OS just handed out can
    /// be taken by someone else before redis-server binds it: then another.
    pub async fn start_with(program: &Path, launch: Option<Launch>) -> anyhow::Result<Self> {
        let mut launch = launch;
        let mut failures = Vec::new();
        for _ in 0..3 {
            let mut server = Self {
                port: crate::free_port().context("no free port")?,
                dir: tempfile::Builder::new()
                    .prefix("redis-")
                    .tempdir()
                    .context("cannot create a folder for redis-server")?,
                program: program.to_owned(),
                launch: launch.take(),
                child: None,
                stdin: None,
            };
            match server.spawn().await {
                Ok(()) => return Ok(server),
                Err(e) => {
                    failures.push(format!("{e:#}"));
                    launch = server.launch.take();
                }
            }
        }
        bail!("{}", failures.join("; "))
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The process started: redis-server, or its watcher.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it at once (SIGKILL: a crash, not a shutdown) and waits for the exit.
    pub fn kill(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty (it saved nothing).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn().await
    }

    /// Stops it and waits until it is gone. A watcher is told by closing its
    /// stdin, so that it takes redis-server along; killing the watcher
    /// outright is the last resort (redis-server may then outlive it).
    pub async fn stop(mut self) {
        if self.launch.is_none() {
            return self.kill();
        }
        drop(self.stdin.take());
        let deadline = tokio::time::Instant::now() + STOP_WITHIN;
        while let Some(child) = self.child.as_mut() {
            if !matches!(child.try_wait(), Ok(None)) || tokio::time::Instant::now() > deadline {
                self.kill();
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = self.dir.path().join("redis.log");
        let args: Vec<OsString> = [
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        .into_iter()
        .map(OsString::from)
        .chain(["--dir".into(), self.dir.path().into()])
        .chain(["--logfile".into(), log.clone().into()])
        .collect();
        let mut cmd = match &self.launch {
            Some(launch) => launch(&self.program, &args),
            None => {
                let mut cmd = Command::new(&self.program);
                cmd.args(&args);
                cmd
            }
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        self.stdin = child.stdin.take();
        self.child = Some(child);
        let url = self.url();
        let deadline = tokio::time::Instant::now() + START_WITHIN;
        loop {
            if ping(&url).await.is_ok() {
                return Ok(());
            }
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                _ => None,
            };
            if exited.is_some() || tokio::time::Instant::now() > deadline {
                self.kill();
                let why = exited.map_or_else(
                    || {
                        format!(
                            "no answer to PING on port {} within {START_WITHIN:?}",
                            self.port
                        )
                    },
                    |status| format!("it exited ({status})"),
                );
                bail!("{why}; its log:\n{}", log_tail(&log));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        match self.launch {
            // Closing stdin is the watcher's signal: it kills redis-server
            // even after this process is gone.
            Some(_) => drop(self.stdin.take()),
            None => self.kill(),
        }
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    match lines.len() {
        0 => "  (nothing)".to_owned(),
        n => lines[n.saturating_sub(20)..]
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
