//! Memory per signed-in user: what one more login costs each store, read
//! from the running servers and their stores after many logins of one
//! account (each a new session, or a new refresh token and its family).
//!
//! - The memory store: the server process' RSS growth (`VmRSS` in
//!   `/proc/PID/status`) over the logins, after a warm-up, over their number.
//! - SQLite: the bytes of the table and its indexes after a WAL checkpoint,
//!   as SQLite's `dbstat` counts them (pages, so free space in them
//!   included), over the table's rows.
//! - Redis: `MEMORY USAGE key SAMPLES 0` of each key the logins (and, for
//!   the denylist, logouts) wrote, median per kind of key.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, bail, ensure};
use contract_client::client::{self as contract, Credential, PASSWORD};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, sqlite::SqliteConnectOptions};
use tokio::task::JoinSet;

use super::median;
use crate::{
    columns::{App, Configuration, Store},
    lab::{Home, Lab, Launcher, Server, http},
};

/// Connections that log in at once: enough to keep the hash slots busy,
/// fewer than the throttle's five logins in flight per account.
const CLIENTS: usize = 4;

/// Logins before the RSS is first read: the first requests grow the heap
/// for reasons that are not sessions (buffers, the allocator's arenas).
const WARM_UP: usize = 200;

/// The fewest sessions the RSS growth is measured over, whatever
/// `--memory-logins` asks: RSS moves in pages, and the allocator first
/// reuses pages that earlier requests freed, so a few hundred sessions of
/// about a kilobyte can hide in them entirely (seen at 300; 1 000 showed).
const RSS_LOGINS_AT_LEAST: usize = 1_000;

/// Logins into Redis: `MEMORY USAGE` is per key, so a thousand keys of a
/// kind say as much as a hundred thousand, and the run stays short.
const REDIS_LOGINS: usize = 1000;

/// One measured cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoryResult {
    /// The store, as the docs name it: `session/sqlite`, `jwt refresh token, Redis`.
    pub store: String,
    /// What one unit is: `session (RSS growth)`, `refresh-token key (rt:)`.
    pub unit: String,
    /// Bytes one unit costs.
    pub bytes: Option<f64>,
    /// How many units the number is taken over.
    pub over: usize,
    /// How it was read.
    pub method: String,
    pub skipped: Option<String>,
    pub error: Option<String>,
}

impl MemoryResult {
    fn new(store: &str, unit: &str, method: &str) -> Self {
        Self {
            store: store.to_owned(),
            unit: unit.to_owned(),
            bytes: None,
            over: 0,
            method: method.to_owned(),
            skipped: None,
            error: None,
        }
    }

    fn measured(mut self, bytes: f64, over: usize) -> Self {
        self.bytes = Some(bytes);
        self.over = over;
        self
    }
}

/// Every measurement, each store's on servers of its own. `logins`: of the
/// memory and SQLite stores (the Redis ones take at most [`REDIS_LOGINS`]);
/// `no_redis`: why there is no Redis, which skips the Redis rows.
pub async fn run(lab: &Lab, logins: usize, no_redis: Option<&str>) -> Vec<MemoryResult> {
    let logins = logins.max(1);
    // Request log off and a cheap hash: the logins are the means, not the measure.
    let mut launcher = lab.launcher.clone();
    launcher.server_log = "warn".to_owned();
    launcher.bcrypt_cost = 4;
    let bench = Bench {
        lab,
        launcher,
        hash_slots: std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .to_string(),
    };
    let redis_logins = logins.min(REDIS_LOGINS);
    let mut results = Vec::new();
    results.extend(
        bench
            .measure(
                (App::Session, Store::Memory),
                &SESSION_MEMORY_UNITS,
                None,
                |config| session_memory(&bench, config, logins),
            )
            .await,
    );
    results.extend(
        bench
            .measure(
                (App::Session, Store::Sqlite),
                &SESSION_SQLITE_UNITS,
                None,
                // The sessions, and the per-user index that "your logins" and
                // sign out everywhere read (jwt-app's: its family table).
                |config| {
                    per_row(
                        &bench,
                        config,
                        logins,
                        &SESSION_SQLITE_UNITS,
                        ["tower_sessions", "session_logins"],
                    )
                },
            )
            .await,
    );
    // The plain jwt column: its refresh tokens are in the users' database.
    results.extend(
        bench
            .measure((App::Jwt, Store::None), &JWT_SQLITE_UNITS, None, |config| {
                per_row(
                    &bench,
                    config,
                    logins,
                    &JWT_SQLITE_UNITS,
                    ["refresh_tokens", "refresh_families"],
                )
            })
            .await,
    );
    results.extend(
        bench
            .measure(
                (App::Session, Store::Redis),
                &SESSION_REDIS_UNITS,
                no_redis,
                |config| session_redis(&bench, config, redis_logins),
            )
            .await,
    );
    results.extend(
        bench
            .measure(
                (App::Jwt, Store::Redis),
                &JWT_REDIS_UNITS,
                no_redis,
                |config| jwt_redis(&bench, config, redis_logins),
            )
            .await,
    );
    results
}

const RSS: &str = "VmRSS growth over the logins";
const DBSTAT: &str = "dbstat: table and its indexes after a checkpoint, over its rows";
const MEMORY_USAGE: &str = "MEMORY USAGE key SAMPLES 0, median";

const SESSION_MEMORY_UNITS: [(&str, &str, &str); 1] =
    [("session/memory", "session (RSS growth)", RSS)];
const SESSION_SQLITE_UNITS: [(&str, &str, &str); 2] = [
    ("session/sqlite", "session row with its index", DBSTAT),
    (
        "session/sqlite",
        "login index row (session_logins) with its indexes",
        DBSTAT,
    ),
];
const JWT_SQLITE_UNITS: [(&str, &str, &str); 2] = [
    (
        "jwt refresh token, SQLite",
        "refresh-token row with its indexes",
        DBSTAT,
    ),
    (
        "jwt refresh token, SQLite",
        "login (family) row with its indexes",
        DBSTAT,
    ),
];
const SESSION_REDIS_UNITS: [(&str, &str, &str); 3] = [
    ("session/redis", "session key", MEMORY_USAGE),
    (
        "session/redis",
        "user's login index (logins:) after one login",
        "MEMORY USAGE key SAMPLES 0",
    ),
    (
        "session/redis",
        "login index's growth per further login",
        "MEMORY USAGE key SAMPLES 0, growth over the logins",
    ),
];
const JWT_REDIS_UNITS: [(&str, &str, &str); 6] = [
    (
        "jwt refresh token, Redis",
        "refresh-token key (rt:)",
        MEMORY_USAGE,
    ),
    (
        "jwt refresh token, Redis",
        "user key (usr:) after one login",
        "MEMORY USAGE key SAMPLES 0",
    ),
    (
        "jwt refresh token, Redis",
        "user key's growth per further login",
        "MEMORY USAGE key SAMPLES 0, growth over the logins",
    ),
    (
        "jwt refresh token, Redis",
        "revoked family (fam:), from its logout",
        MEMORY_USAGE,
    ),
    (
        "jwt denylist entry, Redis",
        "denied token (deny:<jti>)",
        MEMORY_USAGE,
    ),
    (
        "jwt denylist entry, Redis",
        "denied login (deny:sid:<sid>)",
        MEMORY_USAGE,
    ),
];

/// What every measurement starts its servers with.
struct Bench<'a> {
    lab: &'a Lab,
    launcher: Launcher,
    /// `--hash-concurrency`: every core, so that the logins go fast.
    hash_slots: String,
}

impl Bench<'_> {
    /// `config`'s server in `home`, ready for logins of one account: its email.
    async fn start(
        &self,
        config: &'static Configuration,
        home: &Home,
    ) -> anyhow::Result<(Server, String)> {
        let redis_flags = home.redis_flags();
        let mut args: Vec<&str> = redis_flags.iter().map(String::as_str).collect();
        args.extend(["--hash-concurrency", self.hash_slots.as_str()]);
        let server = self.launcher.start(config, home.path(), &args).await?;
        let email = http::register(&http::Http::new(config.name, None), &server, "memory").await?;
        Ok((server, email))
    }

    /// The results of `measured` on the column that stands for `store` of
    /// `app` ([`Configuration::of`]); or each of `units` skipped, without
    /// running it, when `skip` says why; or each failed with its error.
    async fn measure<F>(
        &self,
        (app, store): (App, Store),
        units: &[(&str, &str, &str)],
        skip: Option<&str>,
        measured: impl FnOnce(&'static Configuration) -> F,
    ) -> Vec<MemoryResult>
    where
        F: Future<Output = anyhow::Result<Vec<MemoryResult>>>,
    {
        let each = |note: &dyn Fn(&mut MemoryResult)| {
            units
                .iter()
                .map(|(store, unit, method)| {
                    let mut r = MemoryResult::new(store, unit, method);
                    note(&mut r);
                    r
                })
                .collect()
        };
        if let Some(why) = skip {
            return each(&|r| r.skipped = Some(format!("skipped: {why}")));
        }
        let Some(config) = Configuration::of(app, store) else {
            let why = format!(
                "no column of {} keeps its state in {}",
                app.name(),
                store.place()
            );
            return each(&|r| r.error = Some(why.clone()));
        };
        let label = config.name;
        self.lab.progress(&format!("bench · memory · {label}"));
        match measured(config).await {
            Ok(results) => results,
            Err(e) => {
                self.lab.warn(&format!("bench · memory · {label}: {e:#}"));
                each(&|r| r.error = Some(format!("{e:#}")))
            }
        }
    }
}

async fn session_memory(
    bench: &Bench<'_>,
    config: &'static Configuration,
    logins: usize,
) -> anyhow::Result<Vec<MemoryResult>> {
    let home = bench.lab.home(config).await?;
    let (server, email) = bench.start(config, &home).await?;
    let pid = server.pid().context("the server has no process id")?;
    let logins = logins.max(RSS_LOGINS_AT_LEAST);
    log_in(&server, &email, WARM_UP).await?;
    let before = settled_rss(pid).await?;
    log_in(&server, &email, logins).await?;
    let after = settled_rss(pid).await?;
    bench.lab.stop(server).await?;
    ensure!(
        after > before,
        "the RSS did not grow over {logins} sessions ({before} → {after} bytes): too few \
         to see, use more --memory-logins"
    );
    let (store, unit, method) = SESSION_MEMORY_UNITS[0];
    Ok(vec![
        MemoryResult::new(store, unit, method)
            .measured((after - before) as f64 / logins as f64, logins),
    ])
}

/// The resident set of process `pid` once the last requests' work is done.
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = tokio::fs::read_to_string(format!("/proc/{pid}/status"))
        .await
        .with_context(|| format!("cannot read /proc/{pid}/status (Linux only)"))?;
    vm_rss(&status).context("no VmRSS line in /proc/PID/status")
}

/// `VmRSS:   123456 kB` in bytes.
fn vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `logins` logins into `config`'s server, then each of `tables`' bytes
/// over its rows, as the unit beside it in `units`.
async fn per_row(
    bench: &Bench<'_>,
    config: &'static Configuration,
    logins: usize,
    units: &[(&str, &str, &str)],
    tables: [&str; 2],
) -> anyhow::Result<Vec<MemoryResult>> {
    let home = bench.lab.home(config).await?;
    let (server, email) = bench.start(config, &home).await?;
    log_in(&server, &email, logins).await?;
    // Stopped first, so that nothing writes while the file is read.
    bench.lab.stop(server).await?;
    let mut results = Vec::new();
    for ((store, unit, method), table) in units.iter().zip(tables) {
        let (bytes, rows) = table_bytes(home.path(), table).await?;
        results.push(
            MemoryResult::new(store, unit, method)
                .measured(bytes as f64 / rows.max(1) as f64, rows),
        );
    }
    Ok(results)
}

/// Bytes of `table` and its indexes in the servers' database in `data_dir`
/// (`auth.db`), and the table's rows. SQLite's bundled build (libsqlite3-sys)
/// has the `dbstat` table.
async fn table_bytes(data_dir: &Path, table: &str) -> anyhow::Result<(u64, usize)> {
    let file = data_dir.join("auth.db");
    let options = SqliteConnectOptions::new().filename(&file);
    let mut db = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open {}", file.display()))?;
    // What is still in the write-ahead log goes into the file's pages first.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut db)
        .await?;
    let mut names = vec![table.to_owned()];
    names.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
        )
        .bind(table)
        .fetch_all(&mut db)
        .await?,
    );
    let mut bytes = 0i64;
    for name in &names {
        bytes += sqlx::query_scalar::<_, i64>(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?",
        )
        .bind(name)
        .fetch_one(&mut db)
        .await
        .context("SQLite without dbstat")?;
    }
    // `table` is one of ours, not input: quoting it is enough.
    let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\""))
        .fetch_one(&mut db)
        .await?;
    db.close().await?;
    ensure!(rows > 0, "no rows in {table}");
    Ok((
        u64::try_from(bytes).unwrap_or(0),
        usize::try_from(rows).unwrap_or(0),
    ))
}

async fn session_redis(
    bench: &Bench<'_>,
    config: &'static Configuration,
    logins: usize,
) -> anyhow::Result<Vec<MemoryResult>> {
    let home = bench.lab.home(config).await?;
    let (server, email) = bench.start(config, &home).await?;
    log_in(&server, &email, 1).await?;
    let one_login = login_index(&home.key_sizes().await?)?;
    log_in(&server, &email, logins.saturating_sub(1)).await?;
    let after_logins = home.key_sizes().await?;
    let all_logins = login_index(&after_logins)?;
    bench.lab.stop(server).await?;
    // Session ids are bare keys; the index's and the throttle's have a `:`.
    let sessions: Vec<u64> = after_logins
        .iter()
        .filter(|(k, _)| !k.contains(':'))
        .map(|(_, size)| *size)
        .collect();
    let u = &SESSION_REDIS_UNITS;
    let further = logins.saturating_sub(1).max(1);
    let [first, growth] = index_key(u[1], u[2], one_login, all_logins, further);
    Ok(vec![
        per_key(u[0].0, u[0].1, u[0].2, &sessions)?,
        first,
        growth,
    ])
}

/// A per-user key that grows with each login (session-app's `logins:`,
/// jwt-app's `usr:`): its size after the first login, as unit `first`, and
/// what each of the `further` logins added by `all`, as unit `growth`.
fn index_key(
    first: (&str, &str, &str),
    growth: (&str, &str, &str),
    one: u64,
    all: u64,
    further: usize,
) -> [MemoryResult; 2] {
    [
        MemoryResult::new(first.0, first.1, first.2).measured(one as f64, 1),
        MemoryResult::new(growth.0, growth.1, growth.2)
            .measured(all.saturating_sub(one) as f64 / further as f64, further),
    ]
}

/// The size of session-app's per-user login index (`<prefix>logins:<user id>`).
fn login_index(sizes: &[(String, u64)]) -> anyhow::Result<u64> {
    sizes
        .iter()
        .find(|(k, _)| is_login_index(k))
        .map(|(_, s)| *s)
        .context("no logins: key after a login")
}

fn is_login_index(key: &str) -> bool {
    key.split(':').rev().nth(1) == Some("logins")
}

async fn jwt_redis(
    bench: &Bench<'_>,
    config: &'static Configuration,
    logins: usize,
) -> anyhow::Result<Vec<MemoryResult>> {
    let home = bench.lab.home(config).await?;
    let (server, email) = bench.start(config, &home).await?;
    let first = log_in_keeping(&server, &email, 1).await?;
    let user_key = |sizes: &[(String, u64)]| {
        sizes
            .iter()
            .find(|(k, _)| kind(k) == Some("usr"))
            .map(|(_, s)| *s)
            .context("no usr: key after a login")
    };
    let one_login = user_key(&home.key_sizes().await?)?;
    let mut credentials = first;
    credentials.extend(log_in_keeping(&server, &email, logins.saturating_sub(1)).await?);
    let after_logins = home.key_sizes().await?;
    let all_logins = user_key(&after_logins)?;
    log_out(&server, &credentials).await?;
    let after_logouts = home.key_sizes().await?;
    bench.lab.stop(server).await?;

    let of = |sizes: &[(String, u64)], wanted: &str| -> Vec<u64> {
        sizes
            .iter()
            .filter(|(k, _)| kind(k) == Some(wanted))
            .map(|(_, s)| *s)
            .collect()
    };
    let u = &JWT_REDIS_UNITS;
    let further = credentials.len().saturating_sub(1).max(1);
    let [first, growth] = index_key(u[1], u[2], one_login, all_logins, further);
    Ok(vec![
        per_key(u[0].0, u[0].1, u[0].2, &of(&after_logins, "rt"))?,
        first,
        growth,
        // A login writes no family key: a logout writes its revocation flag.
        per_key(u[3].0, u[3].1, u[3].2, &of(&after_logouts, "fam"))?,
        per_key(u[4].0, u[4].1, u[4].2, &of(&after_logouts, "deny"))?,
        per_key(u[5].0, u[5].1, u[5].2, &of(&after_logouts, "deny:sid"))?,
    ])
}

/// Which of jwt-app's keys `key` (without the prefix) is: `rt`, `fam`,
/// `usr`, `deny` (a token) or `deny:sid` (a login); `None` for the throttle's.
fn kind(key: &str) -> Option<&'static str> {
    if key.starts_with("deny:sid:") {
        return Some("deny:sid");
    }
    match key.split_once(':')?.0 {
        "rt" => Some("rt"),
        "fam" => Some("fam"),
        "usr" => Some("usr"),
        "deny" => Some("deny"),
        _ => None,
    }
}

fn per_key(store: &str, unit: &str, method: &str, sizes: &[u64]) -> anyhow::Result<MemoryResult> {
    let bytes = median(sizes.iter().map(|&s| s as f64).collect())
        .with_context(|| format!("{store}: no {unit} in Redis"))?;
    Ok(MemoryResult::new(store, unit, method).measured(bytes, sizes.len()))
}

/// `n` logins of `email`, on [`CLIENTS`] connections at once.
async fn log_in(server: &Server, email: &str, n: usize) -> anyhow::Result<()> {
    logins(server, email, n, false).await.map(drop)
}

/// [`log_in`], keeping each login's credential.
async fn log_in_keeping(server: &Server, email: &str, n: usize) -> anyhow::Result<Vec<Credential>> {
    logins(server, email, n, true).await
}

async fn logins(
    server: &Server,
    email: &str,
    n: usize,
    keep: bool,
) -> anyhow::Result<Vec<Credential>> {
    let left = Arc::new(AtomicUsize::new(n));
    let mut clients = JoinSet::new();
    for _ in 0..CLIENTS.min(n) {
        let (base, email, left) = (server.url(""), email.to_owned(), Arc::clone(&left));
        clients.spawn(async move {
            // No cookie jar: each login is a new session, not the last one's.
            let client = contract::client();
            let login = contract::login(&email, PASSWORD);
            let mut kept = Vec::new();
            while take(&left) {
                let credential = answered(&login.build(&client, &base), "login").await?;
                if keep {
                    kept.push(credential);
                }
            }
            anyhow::Ok(kept)
        });
    }
    let mut kept = Vec::new();
    while let Some(done) = clients.join_next().await {
        kept.extend(done??);
    }
    Ok(kept)
}

/// Logs each of `credentials` out, on [`CLIENTS`] connections at once.
async fn log_out(server: &Server, credentials: &[Credential]) -> anyhow::Result<()> {
    let mut clients = JoinSet::new();
    for chunk in credentials.chunks(credentials.len().div_ceil(CLIENTS).max(1)) {
        let (base, chunk) = (server.url(""), chunk.to_vec());
        clients.spawn(async move {
            let client = contract::client();
            for credential in &chunk {
                let res = contract::logout(credential)
                    .build(&client, &base)
                    .send()
                    .await?;
                ensure!(res.status() == 204, "logout answered {}", res.status());
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = clients.join_next().await {
        done??;
    }
    Ok(())
}

/// Takes one login off the count, if any is left.
fn take(left: &AtomicUsize) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

/// Sends `request` until it is answered 200 (a 503 `busy` is waited out and
/// sent again: the hash queue, not the store, refused it); its credential.
async fn answered(request: &reqwest::RequestBuilder, what: &str) -> anyhow::Result<Credential> {
    for _ in 0..20 {
        let req = request
            .try_clone()
            .context("a login request is always clonable")?;
        let res = req.send().await?;
        let status = res.status();
        if status == 503 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let headers = res.headers().clone();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        if status != 200 {
            bail!("{what} answered {status}: {body}");
        }
        return Credential::from_response(&headers, &body)
            .with_context(|| format!("{what} answered 200 without a credential"));
    }
    bail!("{what} answered 503 twenty times")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_set_is_read_in_bytes() {
        let status = "Name:\tsession-app\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads: 3\n";
        assert_eq!(vm_rss(status), Some(12345 * 1024));
        assert_eq!(vm_rss("VmRSS: lots"), None);
        assert_eq!(vm_rss(""), None);
    }

    #[test]
    fn jwt_keys_are_told_apart_by_kind() {
        assert_eq!(kind("rt:abc"), Some("rt"));
        assert_eq!(kind("fam:1-2"), Some("fam"));
        assert_eq!(kind("usr:7"), Some("usr"));
        assert_eq!(kind("deny:9f0e"), Some("deny"));
        assert_eq!(kind("deny:sid:9f0e"), Some("deny:sid"));
        assert_eq!(kind("throttle:login:email:a@b"), None);
        assert_eq!(kind("plain"), None);
    }

    #[test]
    fn the_session_login_index_is_told_from_sessions_and_throttles() {
        assert!(is_login_index("logins:7"));
        assert!(is_login_index("session-app:logins:7"));
        assert!(!is_login_index("throttle:login:email:a@b"));
        assert!(!is_login_index("Yk3vX9"));
    }
}
