//! A PostgreSQL server of a test's own: `initdb` into a temporary folder, then
//! `postgres` on a free port, which the test may stop (a crash: SIGKILL, or an
//! operator's fast shutdown) and start again on the same port and data, to see
//! what the servers under test do while their users' database is down. The machine's cluster (5432, used
//! by [`crate::databases`]) is never touched: killing that one would break
//! every other test running beside.

use std::{
    fs::File,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

/// `initdb` writes a few MB and, with `--no-sync`, takes a second or two; a
/// loaded CI machine gets far more.
const INITDB_WITHIN: Duration = Duration::from_secs(60);
/// From spawning `postgres` to a connection that answers `SELECT 1`, crash
/// recovery after a [`PostgresServer::stop`] included.
const READY_WITHIN: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A private `postgres` on 127.0.0.1 and a free port, with trust auth for the
/// superuser `postgres`. Killed when dropped; its folder is removed then.
pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    /// Root of the temporary folder: the data directory is `data/` in it,
    /// the Unix socket and the server's log sit beside.
    dir: TempDir,
    /// Run the binaries as the `postgres` user (see [`Self::command`]).
    drop_root: bool,
    child: Option<Child>,
}

impl PostgresServer {
    /// Runs `initdb` and starts the server; `None` (after a `SKIPPED:` line,
    /// or a failure under `CI=true`) when the PostgreSQL binaries are not
    /// installed. Anything else that goes wrong fails the test.
    pub async fn init() -> Option<Self> {
        let Some(bin) = find_bin_dir() else {
            crate::skip_or_fail(
                "PostgreSQL's initdb/postgres are not installed (apt-get install postgresql, \
                 brew install postgresql); looked in /usr/lib/postgresql/*/bin, `pg_config --bindir` and the PATH",
            );
            return None;
        };
        let port = match crate::free_port() {
            Ok(port) => port,
            Err(e) => panic!("no free port for a private PostgreSQL: {e}"),
        };
        let dir = crate::data_dir();
        let mut server = match Self::prepare(bin, port, dir).await {
            Ok(server) => server,
            Err(e) => panic!("could not initdb a private PostgreSQL: {e:#}"),
        };
        server.start().await;
        Some(server)
    }

    async fn prepare(bin: PathBuf, port: u16, dir: TempDir) -> anyhow::Result<Self> {
        // PostgreSQL refuses to run as root ("root execution of the PostgreSQL
        // server is not permitted"), and tests run as root in containers and
        // in CI. Then the folder goes to the `postgres` user (Debian's package
        // creates it) and the binaries run as that user. A folder we just
        // made is owned by our effective uid: that tells whether we are root
        // without a libc call.
        let drop_root = dir.path().metadata()?.uid() == 0;
        if drop_root {
            let status = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .context("run chown")?;
            if !status.success() {
                bail!(
                    "running as root, and `chown postgres: {}` failed ({status}): \
                     PostgreSQL refuses to run as root and needs a `postgres` user to run as",
                    dir.path().display()
                );
            }
        }
        let server = Self {
            port,
            bin,
            dir,
            drop_root,
            child: None,
        };
        let log = server.dir.path().join("initdb.log");
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        let mut initdb = tokio::process::Command::from(server.command("initdb"));
        initdb
            .arg("-D")
            .arg(server.data())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
            // A throwaway cluster: no fsync of the files initdb writes.
            .arg("--no-sync")
            .stdout(out)
            .stderr(err)
            // A timed-out initdb is killed, not left running.
            .kill_on_drop(true);
        let status = tokio::time::timeout(INITDB_WITHIN, initdb.status())
            .await
            .with_context(|| format!("initdb did not finish within {INITDB_WITHIN:?}"))?
            .context("run initdb")?;
        if !status.success() {
            bail!("initdb failed ({status}): {}", tail(&log));
        }
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`: the database initdb made.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (SIGKILL to the postmaster: a crash, not a
    /// shutdown) and waits for its exit. Its backends notice their
    /// postmaster's death and end their connections by themselves.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it the way an operator does for a restart, an upgrade or a
    /// failover (`pg_ctl stop -m fast`): every backend ends its session with
    /// a FATAL "terminating connection due to administrator command" (SQLSTATE
    /// 57P01), sent to a client in the middle of a query too, and the server
    /// checkpoints and exits. Falls back to [`Self::stop`] if `pg_ctl` fails.
    pub async fn shut_down(&mut self) {
        let mut pg_ctl = tokio::process::Command::from(self.command("pg_ctl"));
        pg_ctl
            .arg("stop")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "20"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let stopped = matches!(
            tokio::time::timeout(READY_WITHIN, pg_ctl.status()).await,
            Ok(Ok(status)) if status.success()
        );
        if !stopped {
            eprintln!(
                "warning: pg_ctl stop -m fast failed on port {}; killing",
                self.port
            );
        }
        // The postmaster has exited (`-w`): reap it, or kill what is left.
        self.stop();
    }

    /// Opens a connection that takes `LOCK TABLE <table> IN ACCESS EXCLUSIVE
    /// MODE` in a transaction it leaves open: until the connection is closed
    /// or the server goes away, every query on that table waits. How a test
    /// holds a request of the server under test in the middle of a query.
    pub async fn lock_table(&self, table: &str) -> anyhow::Result<PgConnection> {
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&self.url()))
            .await
            .context("no connection to lock a table")??;
        sqlx::Executor::execute(
            &mut conn,
            format!("BEGIN; LOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE").as_str(),
        )
        .await
        .with_context(|| format!("lock the table {table}"))?;
        Ok(conn)
    }

    /// Waits until at least `n` sessions wait for a lock, for at most `within`.
    pub async fn wait_for_lock_waiters(&self, n: i64, within: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&self.url()))
            .await
            .context("no connection to watch the locks")??;
        loop {
            // pg_locks is read afresh by each statement (pg_stat_activity
            // would be a snapshot for the whole transaction).
            let waiting: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
                    .fetch_one(&mut conn)
                    .await?;
            if waiting >= n {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{waiting} sessions wait for a lock after {within:?}, not {n}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends every session that waits for a lock, as a shutdown does (FATAL
    /// 57P01), while the lock holder lives on. A fast shutdown alone races:
    /// if it ends the holder first, the waiting query may still complete.
    pub async fn terminate_lock_waiters(&self) -> anyhow::Result<()> {
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&self.url()))
            .await
            .context("no connection to end the waiting sessions")??;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE NOT granted AND pid IS NOT NULL",
        )
        .fetch_all(&mut conn)
        .await?;
        if !ended.iter().any(|e| *e) {
            bail!("no session waiting for a lock was ended");
        }
        Ok(())
    }

    /// Starts it (again) on the same port and data directory, and waits until
    /// it answers `SELECT 1`. A server that cannot start fails the test.
    pub async fn start(&mut self) {
        self.stop();
        if let Err(e) = self.spawn_until_ready().await {
            panic!(
                "could not start the private PostgreSQL on port {}: {e:#}",
                self.port
            );
        }
    }

    async fn spawn_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            let log = self.dir.path().join("postgres.log");
            let out = File::options().create(true).append(true).open(&log)?;
            let err = out.try_clone()?;
            let child = self
                .command("postgres")
                .arg("-D")
                .arg(self.data())
                .args(["-p", &self.port.to_string()])
                .arg("-k")
                .arg(self.dir.path())
                .args(["-c", "listen_addresses=127.0.0.1"])
                // Nothing here must survive a machine crash.
                .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .context("spawn postgres")?;
            self.child = Some(child);
            loop {
                if self.answers().await {
                    return Ok(());
                }
                if let Some(child) = self.child.as_mut()
                    && let Ok(Some(status)) = child.try_wait()
                {
                    self.child = None;
                    // Right after a stop, the killed server's backends may
                    // still hold its shared memory for a moment ("pre-existing
                    // shared memory block is still in use"): try again.
                    if tokio::time::Instant::now() > deadline {
                        bail!(
                            "postgres exited at start with {status}; its log ends: {}",
                            tail(&log)
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    self.stop();
                    bail!(
                        "postgres did not answer within {READY_WITHIN:?}; its log ends: {}",
                        tail(&log)
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// True when a fresh connection over TCP answers `SELECT 1` (a server
    /// that accepts TCP but is still recovering answers "starting up").
    async fn answers(&self) -> bool {
        let url = self.url();
        let ping = async {
            let mut conn = PgConnection::connect(&url).await?;
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            conn.close().await
        };
        matches!(
            tokio::time::timeout(CONNECT_TIMEOUT, ping).await,
            Ok(Ok(()))
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command for one of PostgreSQL's binaries, run as `postgres` when we
    /// are root. `setpriv` execs the binary in its own process, so that the
    /// child we hold (and kill) is the postmaster itself; `runuser` would
    /// fork and wait, and killing it would leave the server running.
    fn command(&self, binary: &str) -> Command {
        let path = self.bin.join(binary);
        let mut cmd = if self.drop_root {
            let mut cmd = Command::new("setpriv");
            cmd.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(path);
            cmd
        } else {
            Command::new(path)
        };
        // The test's working directory may be one `postgres` cannot enter.
        cmd.current_dir(self.dir.path());
        cmd
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder holding `initdb` and `postgres`: Debian's newest
/// `/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`, else the PATH.
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.into_iter().rev().find(|(_, d)| has_both(d)) {
        return Some(dir);
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(dir) = from_pg_config.filter(|d| has_both(d)) {
        return Some(dir);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has_both(d))
}

/// The last lines of a log, for a failure message.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// What the fault tests rely on: stopped, it refuses connections; started
    /// again, it is on the same port with the same data.
    #[tokio::test]
    async fn stops_and_starts_on_the_same_port_and_data() {
        let Some(mut pg) = PostgresServer::init().await else {
            return;
        };
        let url = pg.url();
        let mut conn = PgConnection::connect(&url).await.unwrap();
        // Two statements: the simple protocol (`Executor::execute` on a str).
        sqlx::Executor::execute(
            &mut conn,
            "CREATE TABLE kept (n INT); INSERT INTO kept VALUES (7)",
        )
        .await
        .unwrap();

        pg.stop();
        assert!(!pg.answers().await, "answers after stop");
        assert!(
            sqlx::query("SELECT 1").execute(&mut conn).await.is_err(),
            "an open connection outlived the server"
        );

        pg.start().await;
        assert_eq!(pg.url(), url);
        let mut conn = PgConnection::connect(&url).await.unwrap();
        let n: i32 = sqlx::query_scalar("SELECT n FROM kept")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 7);
    }
}
