//! Serializes migrations on MySQL/MariaDB between processes starting together.
//!
//! sqlx's migrator asks for `GET_LOCK(name, -1)` and ignores the answer;
//! MariaDB does not wait forever on a negative timeout, so with eight servers
//! starting at once some went ahead unlocked and died on "migration 1 is
//! partially applied" (MySQL's DDL is not transactional, so the other
//! processes saw the first one's migration half done). This lock is taken
//! with a finite timeout and its answer checked.

use std::time::Duration;

use anyhow::Context;
use sqlx::{AnyConnection, Connection, Row, any::AnyConnectOptions};

/// Longer than any migration of ours takes, so that a waiting server starts
/// instead of failing, and short enough to say so if a holder hangs.
const WAIT: Duration = Duration::from_secs(60);

/// Held while this process migrates; the server releases a named lock when
/// its connection ends, which dropping this does (a crash too).
pub struct MySqlMigrationLock {
    conn: AnyConnection,
}

impl MySqlMigrationLock {
    pub async fn acquire(options: &AnyConnectOptions) -> anyhow::Result<Self> {
        let mut conn = AnyConnection::connect_with(options).await?;
        // One lock per database, so that tests on other databases of the
        // same server do not wait for each other.
        let got: Option<i64> =
            sqlx::query("SELECT GET_LOCK(CONCAT('auth-compare-migrate.', DATABASE()), ?)")
                .bind(i64::try_from(WAIT.as_secs()).unwrap_or(60))
                .fetch_one(&mut conn)
                .await?
                .try_get(0)
                .context("GET_LOCK answered no number")?;
        anyhow::ensure!(
            got == Some(1),
            "another server has been migrating this database for over {WAIT:?}: \
             is one stuck? (GET_LOCK answered {got:?})"
        );
        Ok(Self { conn })
    }

    /// Ends the connection, and with it the lock.
    pub async fn release(self) {
        let _ = self.conn.close().await;
    }
}
