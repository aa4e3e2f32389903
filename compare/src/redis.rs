//! Redis for the Redis columns (`session/redis`, `jwt+denylist/redis`).
//!
//! Where it comes from, in this order:
//! 1. `REDIS_URL`, when set: that Redis is used, and only what the harness
//!    wrote is removed afterwards.
//! 2. Otherwise a private `redis-server` on a free port, if one is on the
//!    PATH: started for the run (nothing saved to disk), and stopped after it,
//!    also when the run fails or is interrupted.
//! 3. Otherwise none: the Redis columns are skipped, each cell saying how to
//!    get Redis, except under `CI=true`, where the run fails instead.
//!
//! Each measurement gets a part of that Redis of its own (a [`Namespace`]),
//! shared by the processes of that one measurement (a restart, a second
//! instance) and by nothing else:
//! - session-app has no key prefix (tower-sessions-redis-store writes the bare
//!   session id), so it gets a logical database: one that was empty when the
//!   harness claimed it (`DBSIZE` 0, then a claim key written with `NX`, so two
//!   harnesses on one Redis never take the same one), never the database
//!   `REDIS_URL` itself names, and flushed (`FLUSHDB`) when the measurement is
//!   over, if the claim is still this harness's.
//! - jwt-app gets a `--redis-prefix` of its own in `REDIS_URL`'s database; its
//!   keys are deleted by prefix (`SCAN MATCH` + `DEL`) afterwards.
//!
//! The harness speaks the few RESP commands it needs over a plain blocking TCP
//! connection (a few lines, and usable in `Drop`, which is where the cleanup
//! runs, also when Ctrl-C drops the run): `redis://` URLs only.

use std::{
    collections::VecDeque,
    hash::{BuildHasher, Hasher},
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream, ToSocketAddrs},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, bail, ensure};
use tokio::{
    process::{Child, ChildStdin, Command},
    task::JoinHandle,
};

use crate::{
    configs::App,
    server::{keep_tail, tail_text},
};

/// What a skipped cell tells the reader to do.
pub const HOW_TO_GET: &str = "`just redis` or apt-get install redis-server, or set REDIS_URL";

/// Longest a connection or a reply may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// Longest a private redis-server may take to answer PING after its start.
const START_WITHIN: Duration = Duration::from_secs(5);
/// Longest the private redis-server may take to go away once told to.
const STOP_WITHIN: Duration = Duration::from_secs(5);
/// The key that marks a logical database as this harness's. Not shaped like
/// a session id, so session-app's `/debug/store` does not count it.
const CLAIM_KEY: &str = "compare:claimed";
/// A claim left by a harness that was killed outright expires on its own.
const CLAIM_TTL_SECS: &str = "21600";
/// Logical databases when `CONFIG GET` is refused (managed Redis): Redis' default.
const DEFAULT_DATABASES: u32 = 16;

/// `CI=true`: a missing Redis fails the run instead of skipping its columns.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The Redis the run uses.
pub struct Redis {
    url: Arc<RedisUrl>,
    databases: u32,
    version: String,
    private: Option<PrivateServer>,
    claims: AtomicU32,
}

impl Redis {
    /// `REDIS_URL`, else a private redis-server started with `exe` (the
    /// harness itself, see [`crate::server::guard`]), else the reason there
    /// is none, worded for a skipped cell.
    pub async fn provide(exe: &Path) -> Result<Self, String> {
        if let Ok(given) = std::env::var("REDIS_URL")
            && !given.trim().is_empty()
        {
            let url = RedisUrl::parse(given.trim())
                .map_err(|e| format!("REDIS_URL is not usable ({e:#}) — {HOW_TO_GET}"))?;
            let shown = url.shown();
            let (databases, version) = inspect(url.clone()).await.map_err(|e| {
                format!(
                    "REDIS_URL={shown} cannot be used ({e:#}) — start that Redis or fix \
                     REDIS_URL, or unset it to let the harness start its own redis-server"
                )
            })?;
            return Ok(Self {
                url: Arc::new(url),
                databases,
                version,
                private: None,
                claims: AtomicU32::new(0),
            });
        }
        let Some(program) = find_on_path("redis-server") else {
            return Err(format!("no Redis — {HOW_TO_GET}"));
        };
        let private = PrivateServer::start(exe, &program).await.map_err(|e| {
            format!("the private redis-server did not start ({e:#}) — {HOW_TO_GET}")
        })?;
        let url = match RedisUrl::parse(&private.url()) {
            Ok(url) => url,
            Err(e) => {
                private.stop().await;
                return Err(format!("{e:#}"));
            }
        };
        match inspect(url.clone()).await {
            Ok((databases, version)) => Ok(Self {
                url: Arc::new(url),
                databases,
                version,
                private: Some(private),
                claims: AtomicU32::new(0),
            }),
            Err(e) => {
                private.stop().await;
                Err(format!(
                    "the private redis-server does not answer ({e:#}) — {HOW_TO_GET}"
                ))
            }
        }
    }

    /// One line for the report: which Redis, and whose.
    pub fn describe(&self) -> String {
        match &self.private {
            Some(p) => format!(
                "private redis-server {} on {} (process {})",
                self.version,
                self.url.addr,
                p.pid.map_or_else(|| "?".to_owned(), |pid| pid.to_string())
            ),
            None => format!("REDIS_URL={} (Redis {})", self.url.shown(), self.version),
        }
    }

    /// A part of this Redis for one measurement of `app`: see the module docs.
    pub async fn namespace(&self, app: App) -> anyhow::Result<Namespace> {
        let n = self.claims.fetch_add(1, Ordering::Relaxed);
        let owner = format!("compare pid {} claim {n}", std::process::id());
        let kind = match app {
            App::Session => {
                let (url, databases, owner) = (self.url.clone(), self.databases, owner.clone());
                let db = blocking(move || claim_database(&url, databases, &owner)).await?;
                Kind::Database(db)
            }
            App::Jwt => Kind::Prefix(unique_prefix(n)),
        };
        Ok(Namespace {
            url: self.url.clone(),
            kind,
            owner,
        })
    }

    /// Stops the private redis-server, if the harness started one, and waits
    /// until it is gone.
    pub async fn stop(mut self) {
        if let Some(private) = self.private.take() {
            private.stop().await;
        }
    }
}

/// The part of Redis one measurement writes to, cleaned when dropped.
pub struct Namespace {
    url: Arc<RedisUrl>,
    kind: Kind,
    owner: String,
}

enum Kind {
    /// A logical database of its own (session-app).
    Database(u32),
    /// A key prefix in REDIS_URL's database (jwt-app).
    Prefix(String),
}

impl Namespace {
    /// The server flags that put its keys here.
    pub fn flags(&self) -> Vec<String> {
        match &self.kind {
            Kind::Database(db) => vec!["--redis-url".into(), self.url.with_db(*db)],
            Kind::Prefix(prefix) => vec![
                "--redis-url".into(),
                self.url.with_db(self.url.db),
                "--redis-prefix".into(),
                prefix.clone(),
            ],
        }
    }

    /// For `--explain`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Database(db) => format!("Redis logical database {db}, claimed for it alone"),
            Kind::Prefix(prefix) => format!(
                "Redis keys under the prefix {prefix} in logical database {}",
                self.url.db
            ),
        }
    }

    /// Removes what the servers wrote here. Blocking, and bounded by
    /// [`ANSWER_WITHIN`] per step.
    fn clean(&self) -> anyhow::Result<()> {
        match &self.kind {
            Kind::Database(db) => {
                let mut conn = Conn::open(&self.url, *db)?;
                // FLUSHDB only on a database still claimed by this measurement.
                if conn.call(&["GET", CLAIM_KEY])? == Reply::Bulk(Some(self.owner.clone().into())) {
                    conn.expect_ok(&["FLUSHDB"])?;
                }
            }
            Kind::Prefix(prefix) => {
                let mut conn = Conn::open(&self.url, self.url.db)?;
                let pattern = format!("{prefix}*");
                let mut cursor = "0".to_owned();
                loop {
                    let reply =
                        conn.call(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"])?;
                    let Reply::Array(Some(mut parts)) = reply else {
                        bail!("SCAN answered {reply:?}");
                    };
                    let (Some(Reply::Array(Some(keys))), Some(Reply::Bulk(Some(next)))) =
                        (parts.pop(), parts.pop())
                    else {
                        bail!("SCAN answered an unexpected shape");
                    };
                    let keys: Vec<String> = keys
                        .into_iter()
                        .filter_map(|k| match k {
                            Reply::Bulk(Some(k)) => String::from_utf8(k).ok(),
                            _ => None,
                        })
                        .collect();
                    if !keys.is_empty() {
                        let mut del = vec!["DEL"];
                        del.extend(keys.iter().map(String::as_str));
                        conn.call(&del)?;
                    }
                    cursor = String::from_utf8_lossy(&next).into_owned();
                    if cursor == "0" {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Best effort: a private redis-server already stopped has nothing to clean.
        let _ = self.clean();
    }
}

/// A Redis URL taken apart: `redis://[[user]:password@]host[:port][/db][?query]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// `[userinfo@]host[:port]`, as given.
    authority: String,
    /// `host:port`, for connecting.
    addr: String,
    user: Option<String>,
    password: Option<String>,
    /// The logical database the URL names (0 when it names none).
    db: u32,
    /// `?…` as given, or empty.
    query: String,
}

impl RedisUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("redis://") else {
            bail!(
                "the harness reads redis:// URLs only (not rediss:// or a unix socket): {}",
                redact(url)
            );
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, format!("?{query}")),
            None => (rest, String::new()),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let db = match path.trim_end_matches('/') {
            "" => 0,
            db => db
                .parse()
                .with_context(|| format!("`/{db}` is not a logical database number"))?,
        };
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, authority),
        };
        ensure!(!host.is_empty(), "no host in {}", redact(url));
        let addr = if host.ends_with(']') || !host.contains(':') {
            format!("{host}:6379")
        } else {
            host.to_owned()
        };
        let (user, password) = match userinfo.map(|u| u.split_once(':')) {
            None => (None, None),
            Some(Some((user, password))) => (
                Some(percent_decode(user)).filter(|u| !u.is_empty()),
                Some(percent_decode(password)),
            ),
            // `redis://secret@host`: a password alone, as redis-cli reads it.
            Some(None) => (None, userinfo.map(percent_decode)),
        };
        Ok(Self {
            authority: authority.to_owned(),
            addr,
            user,
            password,
            db,
            query,
        })
    }

    /// The same Redis, logical database `db`.
    pub fn with_db(&self, db: u32) -> String {
        format!("redis://{}/{db}{}", self.authority, self.query)
    }

    /// The URL with its password hidden.
    pub fn shown(&self) -> String {
        redact(&self.with_db(self.db))
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = url[scheme + 3..at]
                .split_once(':')
                .map_or("", |(user, _)| user);
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A jwt-app key prefix no other measurement uses. As long as jwt-app's
/// default (`auth-compare:jwt:`, 17 characters), so that the bytes
/// `/debug/store` counts per key (the name included) match a default setup.
fn unique_prefix(n: u32) -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u32(n);
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("compare:{:08x}:", h.finish() as u32)
}

/// PING, then the number of logical databases and the server's version.
async fn inspect(url: RedisUrl) -> anyhow::Result<(u32, String)> {
    blocking(move || {
        let mut conn = Conn::open(&url, url.db)?;
        let pong = conn.call(&["PING"])?;
        ensure!(
            pong == Reply::Simple("PONG".into()),
            "PING answered {pong:?}"
        );
        let databases = match conn.call(&["CONFIG", "GET", "databases"])? {
            Reply::Array(Some(items)) => match items.get(1) {
                Some(Reply::Bulk(Some(n))) => std::str::from_utf8(n)
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(DEFAULT_DATABASES),
                _ => DEFAULT_DATABASES,
            },
            _ => DEFAULT_DATABASES,
        };
        let version = match conn.call(&["INFO", "server"])? {
            Reply::Bulk(Some(info)) => String::from_utf8_lossy(&info)
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .map(|v| v.trim().to_owned()),
            _ => None,
        }
        .unwrap_or_else(|| "?".to_owned());
        Ok((databases, version))
    })
    .await
}

/// Takes a logical database nobody uses: the highest empty one, never the
/// one the URL names.
fn claim_database(url: &RedisUrl, databases: u32, owner: &str) -> anyhow::Result<u32> {
    let mut conn = Conn::open(url, url.db)?;
    for db in (0..databases).rev().filter(|db| *db != url.db) {
        if let Reply::Error(_) = conn.call(&["SELECT", &db.to_string()])? {
            continue;
        }
        if conn.call(&["DBSIZE"])? != Reply::Int(0) {
            continue;
        }
        let claimed = conn.call(&["SET", CLAIM_KEY, owner, "NX", "EX", CLAIM_TTL_SECS])?;
        if claimed == Reply::Simple("OK".into()) {
            return Ok(db);
        }
    }
    bail!(
        "no empty logical database left in the Redis at {} (of {databases}; its own /{} is never \
         used): session-app has no key prefix, so each measurement needs a database of its own",
        url.shown(),
        url.db
    )
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a Redis command's thread failed")?
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// One RESP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// One blocking connection, with every read and write bounded.
struct Conn(BufReader<TcpStream>);

impl Conn {
    fn open(url: &RedisUrl, db: u32) -> anyhow::Result<Self> {
        let addrs = url
            .addr
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {}", url.addr))?;
        let mut last = None;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, ANSWER_WITHIN) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let Some(stream) = stream else {
            return Err(match last {
                Some(e) => anyhow::Error::new(e).context(format!("cannot connect to {}", url.addr)),
                None => anyhow::anyhow!("{} resolves to no address", url.addr),
            });
        };
        stream.set_read_timeout(Some(ANSWER_WITHIN))?;
        stream.set_write_timeout(Some(ANSWER_WITHIN))?;
        stream.set_nodelay(true)?;
        let mut conn = Self(BufReader::new(stream));
        if let Some(password) = &url.password {
            let reply = match &url.user {
                Some(user) => conn.call(&["AUTH", user, password])?,
                None => conn.call(&["AUTH", password])?,
            };
            if let Reply::Error(e) = reply {
                bail!("AUTH refused: {e}");
            }
        }
        if db != 0 {
            conn.expect_ok(&["SELECT", &db.to_string()])?;
        }
        Ok(conn)
    }

    fn call(&mut self, args: &[&str]) -> anyhow::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        self.0.get_mut().write_all(&out)?;
        read_reply(&mut self.0)
    }

    fn expect_ok(&mut self, args: &[&str]) -> anyhow::Result<()> {
        match self.call(args)? {
            Reply::Error(e) => bail!("{} refused: {e}", args.join(" ")),
            _ => Ok(()),
        }
    }
}

fn read_reply(conn: &mut BufReader<TcpStream>) -> anyhow::Result<Reply> {
    let mut line = String::new();
    if conn.read_line(&mut line)? == 0 {
        bail!("the connection closed before a reply");
    }
    let line = line.trim_end_matches("\r\n");
    // The type is one ASCII byte; anything else is not RESP.
    let (tag, body) = (line.get(..1).unwrap_or(""), line.get(1..).unwrap_or(""));
    Ok(match tag {
        "+" => Reply::Simple(body.to_owned()),
        "-" => Reply::Error(body.to_owned()),
        ":" => Reply::Int(body.parse()?),
        "$" => match usize::try_from(body.parse::<i64>()?) {
            Err(_) => Reply::Bulk(None),
            Ok(len) => {
                let mut buf = vec![0; len + 2];
                conn.read_exact(&mut buf)?;
                buf.truncate(len);
                Reply::Bulk(Some(buf))
            }
        },
        "*" => match usize::try_from(body.parse::<i64>()?) {
            Err(_) => Reply::Array(None),
            Ok(len) => {
                let mut items = Vec::with_capacity(len.min(1024));
                for _ in 0..len {
                    items.push(read_reply(conn)?);
                }
                Reply::Array(Some(items))
            }
        },
        other => bail!("unexpected RESP reply type {other:?} in {line:?}"),
    })
}

/// A redis-server of the harness's own, run under `compare guard` (see
/// [`crate::server::guard`]): the guard kills it when the harness closes the
/// guard's stdin, which also happens when the harness dies in any way.
struct PrivateServer {
    port: u16,
    pid: Option<u32>,
    guard: Option<Child>,
    stdin: Option<ChildStdin>,
    tail: Arc<Mutex<VecDeque<String>>>,
    tasks: Vec<JoinHandle<()>>,
    /// redis-server's working directory; it saves nothing there.
    _dir: tempfile::TempDir,
}

impl PrivateServer {
    async fn start(exe: &Path, program: &Path) -> anyhow::Result<Self> {
        // A port the OS just handed out can be taken by someone else before
        // redis-server binds it: then try another.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(exe, program).await {
                Ok(server) => return Ok(server),
                Err(e) => failures.push(format!("{e:#}")),
            }
        }
        bail!("{}", failures.join("; "))
    }

    async fn try_start(exe: &Path, program: &Path) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::Builder::new()
            .prefix("compare-redis-")
            .tempdir()
            .context("cannot create a folder for redis-server")?;
        let mut cmd = Command::new(exe);
        cmd.arg("guard")
            .arg(program)
            .arg("--")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Never killed outright: the guard must live to kill redis-server.
            .kill_on_drop(false);
        let mut guard = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let mut tasks = Vec::new();
        if let Some(out) = guard.stdout.take() {
            tasks.push(tokio::spawn(keep_tail(out, tail.clone())));
        }
        if let Some(err) = guard.stderr.take() {
            tasks.push(tokio::spawn(keep_tail(err, tail.clone())));
        }
        let mut server = Self {
            port,
            pid: guard.id(),
            stdin: guard.stdin.take(),
            guard: Some(guard),
            tail,
            tasks,
            _dir: dir,
        };
        let url = RedisUrl::parse(&server.url())?;
        let deadline = tokio::time::Instant::now() + START_WITHIN;
        loop {
            let probe = url.clone();
            let answered = blocking(move || {
                Conn::open(&probe, 0)?
                    .call(&["PING"])
                    .map(|r| r == Reply::Simple("PONG".into()))
            })
            .await
            .unwrap_or(false);
            if answered {
                return Ok(server);
            }
            let exited = match server.guard.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                _ => None,
            };
            if exited.is_some() || tokio::time::Instant::now() > deadline {
                // Give the output a moment to arrive before quoting it.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let why = exited.map_or_else(
                    || format!("no answer to PING on port {port} within {START_WITHIN:?}"),
                    |status| format!("it exited ({status})"),
                );
                let tail = tail_text(&server.tail);
                server.stop().await;
                bail!("{why}; its output:\n{tail}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Closes the guard's stdin, so that it kills redis-server, and waits
    /// for the guard to exit.
    async fn stop(mut self) {
        drop(self.stdin.take());
        if let Some(mut guard) = self.guard.take()
            && tokio::time::timeout(STOP_WITHIN, guard.wait())
                .await
                .is_err()
        {
            // Last resort: the guard is stuck. redis-server may outlive it.
            let _ = guard.kill().await;
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        // Closing stdin is the guard's signal (an interrupted run ends here):
        // it kills redis-server even after this process is gone.
        drop(self.stdin.take());
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart_and_put_back_with_another_database() {
        let url = RedisUrl::parse("redis://127.0.0.1:6379").expect("plain");
        assert_eq!(url.addr, "127.0.0.1:6379");
        assert_eq!(url.db, 0);
        assert_eq!(url.with_db(5), "redis://127.0.0.1:6379/5");

        let url = RedisUrl::parse("redis://u:p%40ss@redis.local/3?protocol=resp3").expect("full");
        assert_eq!(url.addr, "redis.local:6379");
        assert_eq!(
            (url.user.as_deref(), url.password.as_deref()),
            (Some("u"), Some("p@ss"))
        );
        assert_eq!(url.db, 3);
        assert_eq!(
            url.with_db(7),
            "redis://u:p%40ss@redis.local/7?protocol=resp3"
        );
        assert_eq!(url.shown(), "redis://u:***@redis.local/3?protocol=resp3");

        let url = RedisUrl::parse("redis://:secret@[::1]/").expect("ipv6");
        assert_eq!(url.addr, "[::1]:6379");
        assert_eq!((url.user, url.password.as_deref()), (None, Some("secret")));

        assert!(RedisUrl::parse("rediss://host").is_err());
        assert!(RedisUrl::parse("redis://host/x").is_err());
        assert!(RedisUrl::parse("redis:///0").is_err());
    }

    #[test]
    fn prefixes_are_distinct_and_as_long_as_the_default() {
        let (a, b) = (unique_prefix(0), unique_prefix(1));
        assert_ne!(a, b);
        assert_eq!(a.len(), "auth-compare:jwt:".len());
        assert!(a.starts_with("compare:") && a.ends_with(':'));
        assert!(!CLAIM_KEY.contains(['*', '?', '[']));
    }
}
