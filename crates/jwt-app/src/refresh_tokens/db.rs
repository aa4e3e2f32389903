//! `REFRESH_STORE=db`: refresh tokens in the `refresh_tokens` table of the
//! users' database, one row per family (login) in `refresh_families`, on
//! SQLite, PostgreSQL and MySQL/MariaDB alike.
//!
//! Rotation and revocation meet on the family's row: rotation's transaction
//! first updates it (`… WHERE id = ? AND revoked = 0`), which locks it until
//! the successor is committed, and revocation sets `revoked` on it. So a
//! revocation either waits for a rotation in flight and then sees its
//! successor, or comes first and the rotation finds the family revoked. An
//! `UPDATE … WHERE family_id = ?` over the tokens alone cannot promise that:
//! under READ COMMITTED it does not see a successor inserted by a rotation
//! that has not committed yet, and the thief's newest token survives.

use std::time::Duration;

use auth_core::{
    ApiError, Database,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};
use sqlx::{AnyConnection, Row};

use super::{
    FamilyLogin, IssuedRefresh, RefreshRecord, RefreshStore, RefreshToken, Rotated, Rotation,
    invalid_grant,
};

/// Refresh tokens in the `refresh_tokens` table of the users' database.
#[derive(Clone)]
pub struct DbRefreshStore {
    db: Database,
    ttl_secs: u64,
    family_ttl_secs: u64,
}

impl DbRefreshStore {
    pub fn new(db: Database, ttl: Duration, family_ttl: Duration) -> Self {
        Self {
            db,
            ttl_secs: ttl.as_secs(),
            family_ttl_secs: family_ttl.as_secs(),
        }
    }

    /// The same store, with a task that deletes expired rows every
    /// `min(REFRESH_TTL, 10 min)`: an expired token is refused anyway, and
    /// without the sweep the tables would grow with every login forever.
    pub fn swept(db: Database, ttl: Duration, family_ttl: Duration) -> Self {
        let store = Self::new(db, ttl, family_ttl);
        let every = ttl.clamp(Duration::from_secs(1), Duration::from_secs(600));
        let sweeper = store.clone();
        auth_core::sweep::every(every, "refresh tokens", move || {
            let sweeper = sweeper.clone();
            async move { sweeper.delete_expired().await }
        });
        store
    }

    async fn delete_expired(&self) -> Result<(), sqlx::Error> {
        let now = unix_now();
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM refresh_tokens WHERE expires_at <= ?"),
        )
        .bind(now)
        .execute(self.db.pool())
        .await?;
        // A family without tokens can never rotate again. Login writes a
        // family and its first token in one transaction, so none is caught
        // between the two.
        sqlx::query(&self.db.sql(
            "DELETE FROM refresh_families WHERE expires_at <= ? OR NOT EXISTS \
             (SELECT 1 FROM refresh_tokens WHERE refresh_tokens.family_id = refresh_families.id)",
        ))
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// A new token of `family_id`, expiring `REFRESH_TTL` from now or at the
    /// family's end (`family_ends_at`), whichever comes first.
    async fn insert(
        &self,
        conn: &mut AnyConnection,
        user_id: i64,
        family_id: String,
        family_ends_at: i64,
    ) -> Result<IssuedRefresh, ApiError> {
        let token = RefreshToken::generate();
        let now = unix_now();
        let expires_at = now
            .saturating_add_unsigned(self.ttl_secs)
            .min(family_ends_at);
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
            expires_in: u64::try_from(expires_at - now).unwrap_or(0),
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

    /// Spends `hash` and issues its successor, in one transaction whose first
    /// statement locks the family's row (SQLite: takes the write lock), or
    /// `None` when the family is revoked or over, or the token is spent or
    /// expired.
    async fn try_rotate(
        &self,
        hash: &str,
        record: RefreshRecord,
    ) -> Result<Option<Rotated>, ApiError> {
        let now = unix_now();
        let mut tx = self.db.pool().begin().await?;
        let live = sqlx::query(&self.db.sql(
            "UPDATE refresh_families SET rotations = rotations + 1, last_used_at = ? \
             WHERE id = ? AND revoked = 0 AND expires_at > ?",
        ))
        .bind(now)
        .bind(&record.family_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if live.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        // Of two requests presenting the same token, the database lets
        // exactly one change its row, and only that one issues a successor.
        let spent = sqlx::query(&self.db.sql(
            "UPDATE refresh_tokens SET spent = 1 \
             WHERE token_hash = ? AND spent = 0 AND revoked = 0 AND expires_at > ?",
        ))
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let ends_at: i64 = sqlx::query(
            &self
                .db
                .sql("SELECT expires_at FROM refresh_families WHERE id = ?"),
        )
        .bind(&record.family_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("expires_at")
        .map_err(|e| ApiError::Internal(e.into()))?;
        let issued = self
            .insert(&mut tx, record.user_id, record.family_id, ends_at)
            .await?;
        tx.commit().await?;
        Ok(Some(Rotated {
            user_id: record.user_id,
            issued,
        }))
    }
}

#[async_trait::async_trait]
impl RefreshStore for DbRefreshStore {
    async fn issue(&self, user_id: i64, user_agent: &str) -> Result<IssuedRefresh, ApiError> {
        let family_id = uuid::Uuid::new_v4().to_string();
        let now = unix_now();
        let ends_at = now.saturating_add_unsigned(self.family_ttl_secs);
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(&self.db.sql(
            "INSERT INTO refresh_families (id, user_id, revoked, rotations, expires_at, \
             handle, created_at, last_used_at, user_agent) VALUES (?, ?, 0, 0, ?, ?, ?, ?, ?)",
        ))
        .bind(&family_id)
        .bind(user_id)
        .bind(ends_at)
        .bind(auth_core::lifecycle::new_handle())
        .bind(now)
        .bind(now)
        .bind(user_agent)
        .execute(&mut *tx)
        .await?;
        let issued = self.insert(&mut tx, user_id, family_id, ends_at).await?;
        tx.commit().await?;
        Ok(issued)
    }

    async fn rotate(&self, token: &RefreshToken) -> Result<Rotation, ApiError> {
        let hash = token.hash();
        // A token's family never changes: reading it outside the transaction
        // lets that transaction start with the lock.
        let Some(record) = self.record(&hash, false).await? else {
            return Err(invalid_grant());
        };
        if let Some(rotated) = self.try_rotate(&hash, record).await? {
            return Ok(Rotation::Rotated(rotated));
        }

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
        let mut tx = self.db.pool().begin().await?;
        // The family's row first: this waits for a rotation in flight, whose
        // successor the second UPDATE then sees.
        for sql in [
            "UPDATE refresh_families SET revoked = 1 WHERE id = ?",
            "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?",
        ] {
            sqlx::query(&self.db.sql(sql))
                .bind(family_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn live_families(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        let rows = sqlx::query(&self.db.sql(
            "SELECT id FROM refresh_families WHERE user_id = ? AND revoked = 0 AND expires_at > ?",
        ))
        .bind(user_id)
        .bind(unix_now())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("id").map_err(|e| ApiError::Internal(e.into())))
            .collect()
    }

    /// One query on the user's index; a family is live while a token of it
    /// can still refresh, and ends when the newest of those expires.
    async fn logins(&self, user_id: i64) -> Result<Vec<FamilyLogin>, ApiError> {
        let now = unix_now();
        let rows = sqlx::query(&self.db.sql(
            "SELECT f.id, f.handle, f.created_at, f.last_used_at, f.user_agent, \
             (SELECT MAX(t.expires_at) FROM refresh_tokens t WHERE t.family_id = f.id \
              AND t.spent = 0 AND t.revoked = 0 AND t.expires_at > ?) AS token_expires_at \
             FROM refresh_families f \
             WHERE f.user_id = ? AND f.revoked = 0 AND f.expires_at > ? AND f.handle IS NOT NULL",
        ))
        .bind(now)
        .bind(user_id)
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        let get = |e: sqlx::Error| ApiError::Internal(e.into());
        let mut logins = Vec::with_capacity(rows.len());
        for r in &rows {
            let Some(expires_at) = r
                .try_get::<Option<i64>, _>("token_expires_at")
                .map_err(get)?
            else {
                continue;
            };
            logins.push(FamilyLogin {
                family_id: r.try_get("id").map_err(get)?,
                handle: r.try_get("handle").map_err(get)?,
                created_at: r.try_get("created_at").map_err(get)?,
                last_used_at: r.try_get("last_used_at").map_err(get)?,
                expires_at,
                user_agent: r.try_get("user_agent").map_err(get)?,
            });
        }
        Ok(logins)
    }
}

#[async_trait::async_trait]
impl MeasuredStore for DbRefreshStore {
    /// Every row both tables hold, spent and revoked tokens too: rotation
    /// leaves them behind until they expire, and they are part of the cost.
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        // Text columns as stored, plus four 8-byte integers per token row and
        // five per family row.
        let tokens = self
            .db
            .measure(
                "refresh_tokens",
                "LENGTH(token_hash) + LENGTH(family_id) + 32",
            )
            .await?;
        let families = self
            .db
            .measure(
                "refresh_families",
                "LENGTH(id) + COALESCE(LENGTH(handle), 0) + LENGTH(user_agent) + 40",
            )
            .await?;
        Ok(StoreStats {
            entries: tokens.entries + families.entries,
            bytes: tokens.bytes + families.bytes,
        })
    }
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<RefreshRecord, ApiError> {
    let get = |e: sqlx::Error| ApiError::Internal(e.into());
    Ok(RefreshRecord {
        family_id: row.try_get("family_id").map_err(get)?,
        user_id: row.try_get("user_id").map_err(get)?,
    })
}
