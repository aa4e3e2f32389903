//! `REFRESH_STORE=db`: refresh tokens in the `refresh_tokens` table of the
//! users' database, on SQLite, PostgreSQL and MySQL/MariaDB alike.

use std::time::Duration;

use auth_core::{
    ApiError, Database,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};
use sqlx::{AnyConnection, Row};

use super::{
    IssuedRefresh, RefreshRecord, RefreshStore, RefreshToken, Rotated, Rotation, invalid_grant,
};

/// Refresh tokens in the `refresh_tokens` table of the users' database.
#[derive(Clone)]
pub struct DbRefreshStore {
    db: Database,
    ttl_secs: u64,
}

impl DbRefreshStore {
    pub fn new(db: Database, ttl: Duration) -> Self {
        Self {
            db,
            ttl_secs: ttl.as_secs(),
        }
    }

    /// The same store, with a task that deletes expired rows every
    /// `min(REFRESH_TTL, 10 min)`: an expired token is refused anyway, and
    /// without the sweep the table would grow with every login forever.
    pub fn swept(db: Database, ttl: Duration) -> Self {
        let store = Self::new(db, ttl);
        let every = ttl.clamp(Duration::from_secs(1), Duration::from_secs(600));
        let sweeper = store.clone();
        auth_core::sweep::every(every, "refresh tokens", move || {
            let sweeper = sweeper.clone();
            async move { sweeper.delete_expired().await }
        });
        store
    }

    async fn delete_expired(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM refresh_tokens WHERE expires_at <= ?"),
        )
        .bind(unix_now())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn insert(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        family_id: String,
    ) -> Result<IssuedRefresh, ApiError> {
        let token = RefreshToken::generate();
        let expires_at = unix_now().saturating_add_unsigned(self.ttl_secs);
        sqlx::query(&self.db.sql(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, spent, revoked) \
             VALUES (?, ?, ?, ?, 0, 0)",
        ))
        .bind(token.hash())
        .bind(&family_id)
        .bind(user_id)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(IssuedRefresh {
            token,
            family_id,
            expires_in: self.ttl_secs,
        })
    }

    async fn record(
        &self,
        hash: &str,
        spent_only: bool,
    ) -> Result<Option<RefreshRecord>, ApiError> {
        let sql = if spent_only {
            "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ? AND spent = 1"
        } else {
            "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ?"
        };
        let row = sqlx::query(&self.db.sql(sql))
            .bind(hash)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| record_from_row(&r)).transpose()
    }
}

#[async_trait::async_trait]
impl RefreshStore for DbRefreshStore {
    async fn issue(&self, user_id: i64) -> Result<IssuedRefresh, ApiError> {
        let mut conn = self.db.pool().acquire().await?;
        let family_id = uuid::Uuid::new_v4().to_string();
        self.insert(&mut conn, user_id, family_id).await
    }

    async fn rotate(&self, token: &RefreshToken) -> Result<Rotation, ApiError> {
        let hash = token.hash();
        let mut tx = self.db.pool().begin().await?;
        // The conditional UPDATE is the lock: of two requests presenting the
        // same token, the database lets exactly one change the row, and only
        // that one goes on to issue a successor.
        let spent = sqlx::query(&self.db.sql(
            "UPDATE refresh_tokens SET spent = 1 \
             WHERE token_hash = ? AND spent = 0 AND revoked = 0 AND expires_at > ?",
        ))
        .bind(&hash)
        .bind(unix_now())
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 1 {
            let row = sqlx::query(
                &self
                    .db
                    .sql("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ?"),
            )
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await?;
            let record = record_from_row(&row)?;
            let issued = self
                .insert(&mut tx, record.user_id, record.family_id)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Rotated(Rotated {
                user_id: record.user_id,
                issued,
            }));
        }
        tx.rollback().await?;

        // Spent already: either a thief or the rightful client replays it, and
        // the server cannot tell which, so the whole family goes (the newest
        // token too). This includes the loser of two concurrent refreshes with
        // one token: it looks exactly like a replay, so the winner's new
        // tokens are revoked as well and the client must log in again. That is
        // the price of never letting one refresh token be used twice.
        if let Some(record) = self.record(&hash, true).await? {
            self.revoke_family(&record.family_id).await?;
            tracing::warn!(
                user_id = record.user_id,
                family = %record.family_id,
                "refresh token replayed: family revoked"
            );
            return Ok(Rotation::Replayed(record));
        }
        Err(invalid_grant())
    }

    async fn find(&self, token: &RefreshToken) -> Result<Option<RefreshRecord>, ApiError> {
        self.record(&token.hash(), false).await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), ApiError> {
        sqlx::query(
            &self
                .db
                .sql("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?"),
        )
        .bind(family_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl MeasuredStore for DbRefreshStore {
    /// Every row the table holds, spent and revoked ones too: rotation leaves
    /// them behind until they expire, and they are part of the cost.
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        // Text columns as stored, plus four 8-byte integers per row.
        self.db
            .measure(
                "refresh_tokens",
                "LENGTH(token_hash) + LENGTH(family_id) + 32",
            )
            .await
    }
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<RefreshRecord, ApiError> {
    let get = |e: sqlx::Error| ApiError::Internal(e.into());
    Ok(RefreshRecord {
        family_id: row.try_get("family_id").map_err(get)?,
        user_id: row.try_get("user_id").map_err(get)?,
    })
}
