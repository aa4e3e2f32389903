//! Redis for tests: the machine's (`REDIS_URL`, default `redis://127.0.0.1:6379`),
//! a private `redis-server` on a free port that a test may kill and restart,
//! and a raw RESP client to look at keys (`TTL`, `EXISTS`) the way an operator
//! would, without going through the store under test.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The machine's Redis, if it answers `PING`; otherwise `None` after a
/// `SKIPPED:` line, or a failure under `CI=true`.
pub async fn shared_redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    match command(&url, &["PING"]).await {
        Ok(Reply::Simple(pong)) if pong == "PONG" => Some(url),
        Ok(other) => {
            crate::skip_or_fail(&format!(
                "Redis not usable at {url} (PING answered {other:?})"
            ));
            None
        }
        Err(e) => {
            crate::skip_or_fail(&format!(
                "Redis not reachable at {url} ({e:#}); start one with `just redis` or set REDIS_URL"
            ));
            None
        }
    }
}

/// A `redis-server` of this test's own, on a free port, that keeps nothing on
/// disk. Killed when dropped.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts one, or `None` (skip, or failure under `CI=true`) when
    /// `redis-server` is not on the PATH.
    pub async fn start() -> Option<Self> {
        let port = match crate::free_port() {
            Ok(port) => port,
            Err(e) => panic!("no free port for a private redis-server: {e}"),
        };
        let dir = crate::data_dir();
        let mut server = Self {
            port,
            child: None,
            dir,
        };
        match server.spawn().await {
            Ok(()) => Some(server),
            Err(e)
                if e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) =>
            {
                crate::skip_or_fail(
                    "redis-server is not on the PATH (apt-get install redis-server, brew install redis)",
                );
                None
            }
            Err(e) => panic!("could not start redis-server on port {port}: {e:#}"),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it at once (SIGKILL: a crash, not a shutdown) and waits for the exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty (it saved nothing).
    pub async fn restart(&mut self) {
        self.kill();
        if let Err(e) = self.spawn().await {
            panic!(
                "could not restart redis-server on port {}: {e:#}",
                self.port
            );
        }
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let url = self.url();
        let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
        loop {
            if let Ok(Reply::Simple(_)) = command(&url, &["PING"]).await {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                bail!("redis-server exited at start with {status}");
            }
            if tokio::time::Instant::now() > deadline {
                self.kill();
                bail!("redis-server did not answer PING within {ANSWER_WITHIN:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One RESP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// Sends one command on a fresh connection to `url` (`redis://[user:pass@]host:port[/db]`)
/// and reads its reply, within 5 seconds.
pub async fn command(url: &str, args: &[&str]) -> anyhow::Result<Reply> {
    tokio::time::timeout(ANSWER_WITHIN, command_inner(url, args))
        .await
        .with_context(|| format!("no answer from {url} within {ANSWER_WITHIN:?}"))?
}

async fn command_inner(url: &str, args: &[&str]) -> anyhow::Result<Reply> {
    let rest = url
        .strip_prefix("redis://")
        .with_context(|| format!("not a redis:// URL: {url}"))?;
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (addr, db) = match rest.split_once('/') {
        Some((addr, db)) => (addr, db.split('?').next().filter(|d| !d.is_empty())),
        None => (rest, None),
    };
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    let mut conn = BufReader::new(stream);
    if let Some(auth) = auth {
        let reply = match auth.split_once(':') {
            Some(("", pass)) => send(&mut conn, &["AUTH", pass]).await?,
            Some((user, pass)) => send(&mut conn, &["AUTH", user, pass]).await?,
            None => send(&mut conn, &["AUTH", auth]).await?,
        };
        if let Reply::Error(e) = reply {
            bail!("AUTH refused: {e}");
        }
    }
    if let Some(db) = db
        && let Reply::Error(e) = send(&mut conn, &["SELECT", db]).await?
    {
        bail!("SELECT {db} refused: {e}");
    }
    send(&mut conn, args).await
}

async fn send(conn: &mut BufReader<TcpStream>, args: &[&str]) -> anyhow::Result<Reply> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    conn.get_mut().write_all(&out).await?;
    read_reply(conn).await
}

fn read_reply(
    conn: &mut BufReader<TcpStream>,
) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + '_>> {
    Box::pin(async move {
        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 {
            bail!("the connection closed before a reply");
        }
        let line = line.trim_end_matches("\r\n");
        let (tag, body) = line.split_at(line.len().min(1));
        Ok(match tag {
            "+" => Reply::Simple(body.to_owned()),
            "-" => Reply::Error(body.to_owned()),
            ":" => Reply::Int(body.parse()?),
            "$" => {
                let len: i64 = body.parse()?;
                if len < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut buf = vec![0; usize::try_from(len)? + 2];
                    conn.read_exact(&mut buf).await?;
                    buf.truncate(buf.len() - 2);
                    Reply::Bulk(Some(buf))
                }
            }
            "*" => {
                let len: i64 = body.parse()?;
                if len < 0 {
                    Reply::Array(None)
                } else {
                    let mut items = Vec::new();
                    for _ in 0..len {
                        items.push(read_reply(conn).await?);
                    }
                    Reply::Array(Some(items))
                }
            }
            other => bail!("unexpected RESP reply type {other:?} in {line:?}"),
        })
    })
}
