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
//!   keys are deleted by prefix (`SCAN MATCH` + `UNLINK`) afterwards.
//!
//! Commands go through fred; the clean-up, which runs in `Drop` (also when
//! Ctrl-C drops the run), through `redis`' blocking client.

use std::{
    collections::HashMap,
    ffi::OsString,
    hash::{BuildHasher, Hasher},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use anyhow::{Context, bail, ensure};
use contract_client::redis::{
    RedisServer,
    fred::{
        interfaces::{ClientLike, ConfigInterface, KeysInterface, ServerInterface},
        types::{Expiration, InfoKind, SetOptions},
    },
    inspector,
};
use url::Url;

use crate::columns::App;

/// What a skipped cell tells the reader to do.
pub const HOW_TO_GET: &str = "`just redis` or apt-get install redis-server, or set REDIS_URL";

/// The key that marks a logical database as this harness's. Not shaped like
/// a session id, so session-app's `/debug/store` does not count it.
const CLAIM_KEY: &str = "compare:claimed";
/// A claim left by a harness that was killed outright expires on its own.
const CLAIM_TTL_SECS: i64 = 21600;
/// Logical databases when `CONFIG GET` is refused (managed Redis): Redis' default.
const DEFAULT_DATABASES: u32 = 16;

/// The Redis the run uses.
pub struct Redis {
    url: Arc<RedisUrl>,
    databases: u32,
    version: String,
    private: Option<RedisServer>,
    claims: AtomicU32,
}

impl Redis {
    /// `REDIS_URL`, else a private redis-server run under `exe guard` (see
    /// [`super::child_side::guard`]), else the reason there is none, worded for a
    /// skipped cell.
    pub async fn provide(exe: &Path) -> Result<Self, String> {
        if let Ok(given) = std::env::var("REDIS_URL")
            && !given.trim().is_empty()
        {
            let url = RedisUrl::parse(given.trim())
                .map_err(|e| format!("REDIS_URL is not usable ({e:#}) — {HOW_TO_GET}"))?;
            let (databases, version) = inspect(&url).await.map_err(|e| {
                format!(
                    "REDIS_URL={} cannot be used ({e:#}) — start that Redis or fix \
                     REDIS_URL, or unset it to let the harness start its own redis-server",
                    url.shown()
                )
            })?;
            return Ok(Self::new(url, databases, version, None));
        }
        let Some(program) = RedisServer::find() else {
            return Err(format!("no Redis — {HOW_TO_GET}"));
        };
        let exe = exe.to_owned();
        let guarded = move |program: &Path, args: &[OsString]| {
            let mut cmd = std::process::Command::new(&exe);
            cmd.arg("guard").arg(program).arg("--").args(args);
            cmd
        };
        let private = RedisServer::start_with(&program, Some(Box::new(guarded)))
            .await
            .map_err(|e| {
                format!("the private redis-server did not start ({e:#}) — {HOW_TO_GET}")
            })?;
        let url = RedisUrl::parse(&private.url()).map_err(|e| format!("{e:#}"))?;
        match inspect(&url).await {
            Ok((databases, version)) => Ok(Self::new(url, databases, version, Some(private))),
            Err(e) => {
                private.stop().await;
                Err(format!(
                    "the private redis-server does not answer ({e:#}) — {HOW_TO_GET}"
                ))
            }
        }
    }

    fn new(url: RedisUrl, databases: u32, version: String, private: Option<RedisServer>) -> Self {
        Self {
            url: Arc::new(url),
            databases,
            version,
            private,
            claims: AtomicU32::new(0),
        }
    }

    /// One line for the report: which Redis, and whose.
    pub fn describe(&self) -> String {
        match &self.private {
            Some(p) => format!(
                "private redis-server {} on {} (process {})",
                self.version,
                self.url.addr(),
                p.pid()
                    .map_or_else(|| "?".to_owned(), |pid| pid.to_string())
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
                Kind::Database(claim_database(&self.url, self.databases, &owner).await?)
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

    /// `MEMORY USAGE key SAMPLES 0` of every key the servers wrote here (the
    /// harness's claim key left out), each named without the namespace's
    /// prefix: what one key costs Redis, its name and Redis' own overhead
    /// for it included, but not the keyspace's hash table.
    pub async fn key_sizes(&self) -> anyhow::Result<Vec<(String, u64)>> {
        let (url, prefix) = match &self.kind {
            Kind::Database(db) => (self.url.with_db(*db), String::new()),
            Kind::Prefix(prefix) => (self.url.with_db(self.url.db), prefix.clone()),
        };
        tokio::task::spawn_blocking(move || key_sizes(&url, &prefix)).await?
    }

    /// Removes what the servers wrote here: blocking, each step bounded.
    fn clean(&self) -> anyhow::Result<()> {
        match &self.kind {
            Kind::Database(db) => {
                let url = self.url.with_db(*db);
                let mut conn = redis::Client::open(url.as_str())?
                    .get_connection_with_timeout(contract_client::redis::ANSWER_WITHIN)?;
                conn.set_read_timeout(Some(contract_client::redis::ANSWER_WITHIN))?;
                // FLUSHDB only on a database still claimed by this measurement.
                let claim: Option<String> = redis::cmd("GET").arg(CLAIM_KEY).query(&mut conn)?;
                if claim.as_deref() == Some(self.owner.as_str()) {
                    redis::cmd("FLUSHDB").exec(&mut conn)?;
                }
                Ok(())
            }
            Kind::Prefix(prefix) => {
                contract_client::redis::delete_prefix(&self.url.with_db(self.url.db), prefix)
            }
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Best effort: a private redis-server already stopped has nothing to clean.
        let _ = self.clean();
    }
}

/// [`Namespace::key_sizes`] on the blocking client: a bounded wait per step,
/// and one pipeline for all the `MEMORY USAGE`s. Prefixes are the
/// harness's own ([`unique_prefix`]), free of glob characters.
fn key_sizes(url: &str, prefix: &str) -> anyhow::Result<Vec<(String, u64)>> {
    let mut conn = contract_client::redis::blocking_connection(url)?;
    let mut keys = Vec::new();
    contract_client::redis::scan_prefix(&mut conn, prefix, |_, batch| {
        keys.extend(batch.into_iter().filter(|k| k != CLAIM_KEY));
        Ok(())
    })?;
    // SCAN may return a key twice.
    keys.sort();
    keys.dedup();
    let mut pipe = redis::pipe();
    for key in &keys {
        pipe.cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .arg("SAMPLES")
            .arg(0);
    }
    // A key that expired between SCAN and MEMORY USAGE answers nil.
    let sizes: Vec<Option<u64>> = if keys.is_empty() {
        Vec::new()
    } else {
        pipe.query(&mut conn)?
    };
    Ok(keys
        .into_iter()
        .zip(sizes)
        .filter_map(|(key, size)| Some((key.strip_prefix(prefix)?.to_owned(), size?)))
        .collect())
}

/// A `redis://` URL and the logical database it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    url: Url,
    /// The logical database the URL names (0 when it names none).
    db: u32,
}

impl RedisUrl {
    pub fn parse(given: &str) -> anyhow::Result<Self> {
        let url = Url::parse(given).context("not a URL")?;
        let shown = Self {
            url: url.clone(),
            db: 0,
        }
        .shown();
        ensure!(
            url.scheme() == "redis",
            "the harness reads redis:// URLs only (not rediss:// or a unix socket): {shown}"
        );
        ensure!(
            url.host_str().is_some_and(|h| !h.is_empty()),
            "no host in {shown}"
        );
        // fred reads the URL as the servers will.
        contract_client::redis::fred::types::config::Config::from_url(given)
            .with_context(|| format!("not a Redis URL: {shown}"))?;
        let db = match url.path().trim_matches('/') {
            "" => 0,
            db => db
                .parse()
                .with_context(|| format!("`/{db}` is not a logical database number"))?,
        };
        Ok(Self { url, db })
    }

    /// `host:port`.
    fn addr(&self) -> String {
        format!(
            "{}:{}",
            self.url.host_str().unwrap_or_default(),
            self.url.port().unwrap_or(6379)
        )
    }

    /// The same Redis, logical database `db`.
    pub fn with_db(&self, db: u32) -> String {
        let mut url = self.url.clone();
        url.set_path(&format!("/{db}"));
        url.into()
    }

    /// The URL with its password hidden; `redis://secret@host` is a password
    /// alone, as redis-cli reads it.
    pub fn shown(&self) -> String {
        auth_core::db::redact(&self.with_db(self.db))
    }
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
async fn inspect(url: &RedisUrl) -> anyhow::Result<(u32, String)> {
    let client = inspector(&url.with_db(url.db)).await?;
    let pong: String = client.ping(None).await?;
    ensure!(pong == "PONG", "PING answered {pong:?}");
    let databases = client
        .config_get::<HashMap<String, String>, _>("databases")
        .await
        .ok()
        .and_then(|m| m.get("databases")?.parse().ok())
        .unwrap_or(DEFAULT_DATABASES);
    let info: String = client.info(Some(InfoKind::Server)).await?;
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned());
    let _ = client.quit().await;
    Ok((databases, version))
}

/// Takes a logical database nobody uses: the highest empty one, never the
/// one the URL names.
async fn claim_database(url: &RedisUrl, databases: u32, owner: &str) -> anyhow::Result<u32> {
    for db in (0..databases).rev().filter(|db| *db != url.db) {
        // A database the server refuses (fewer than `databases`) is skipped.
        let Ok(client) = inspector(&url.with_db(db)).await else {
            continue;
        };
        let empty = client.dbsize::<i64>().await? == 0;
        let claimed: Option<String> = if empty {
            client
                .set(
                    CLAIM_KEY,
                    owner,
                    Some(Expiration::EX(CLAIM_TTL_SECS)),
                    Some(SetOptions::NX),
                    false,
                )
                .await?
        } else {
            None
        };
        let _ = client.quit().await;
        if claimed.is_some() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_put_back_with_another_database_and_shown_without_password() {
        let url = RedisUrl::parse("redis://127.0.0.1:6379").expect("plain");
        assert_eq!(url.addr(), "127.0.0.1:6379");
        assert_eq!(url.db, 0);
        assert_eq!(url.with_db(5), "redis://127.0.0.1:6379/5");

        let url = RedisUrl::parse("redis://u:p%40ss@redis.local/3?protocol=resp3").expect("full");
        assert_eq!(url.addr(), "redis.local:6379");
        assert_eq!(url.db, 3);
        assert_eq!(
            url.with_db(7),
            "redis://u:p%40ss@redis.local/7?protocol=resp3"
        );
        assert_eq!(url.shown(), "redis://u:***@redis.local/3?protocol=resp3");
        assert_eq!(
            RedisUrl::parse("redis://secret@[::1]/")
                .expect("ipv6")
                .shown(),
            "redis://:***@[::1]/0"
        );

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
