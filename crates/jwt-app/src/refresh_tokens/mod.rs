//! Refresh tokens: opaque, stored only as a hash, rotated at every use, and
//! grouped in families so that a replay can revoke everything descended from
//! the stolen token.

use std::time::Duration;

use auth_core::{
    ApiError, Database,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures::future::BoxFuture;
use rand::{RngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// 256 random bits: guessing one is out of the question.
const TOKEN_BYTES: usize = 32;
/// A presented token longer than this cannot be ours; refuse it before hashing.
pub(crate) const MAX_TOKEN_LEN: usize = 128;

/// Where refresh tokens are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RefreshStoreKind {
    /// The `refresh_tokens` table of the users' database.
    Db,
    /// Redis (`REDIS_URL`): shared by every instance, expired by Redis itself.
    Redis,
}

impl RefreshStoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Db => "db",
            Self::Redis => "redis",
        }
    }
}

/// A refresh token handed to a client. The plaintext exists only here and in
/// the response.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    pub token: String,
    pub family_id: String,
    pub expires_in: u64,
}

/// The result of a successful rotation.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub user_id: i64,
    pub issued: IssuedRefresh,
}

/// Whose a stored refresh token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub family_id: String,
    pub user_id: i64,
}

/// Where refresh tokens live. Boxed futures keep it object-safe, so that
/// another store ([`crate::redis::RedisRefreshStore`]) can replace the
/// database one. Both keep the same rules: rotation spends a token atomically
/// (exactly one of two concurrent uses wins), a replay of a spent token
/// revokes its family.
pub trait RefreshStore: MeasuredStore {
    /// Starts a new family (a login).
    fn issue(&self, user_id: i64) -> BoxFuture<'_, Result<IssuedRefresh, ApiError>>;

    /// Spends `token` and issues its successor in the same family. A token that
    /// was already spent is a replay: its whole family is revoked.
    fn rotate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Rotated, ApiError>>;

    /// Looks a token up whatever its state, for logout.
    fn find<'a>(&'a self, token: &'a str)
    -> BoxFuture<'a, Result<Option<RefreshRecord>, ApiError>>;

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>>;
}

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
        let token = new_token();
        let expires_at = unix_now().saturating_add_unsigned(self.ttl_secs);
        sqlx::query(&self.db.sql(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, spent, revoked) \
             VALUES (?, ?, ?, ?, 0, 0)",
        ))
        .bind(hash_token(&token))
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

    async fn rotate_inner(&self, token: &str) -> Result<Rotated, ApiError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(invalid_grant());
        }
        let hash = hash_token(token);
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
            return Ok(Rotated {
                user_id: record.user_id,
                issued,
            });
        }
        tx.rollback().await?;

        // Spent already: either a thief or the rightful client replays it, and
        // the server cannot tell which, so the whole family goes (the newest
        // token too). This includes the loser of two concurrent refreshes with
        // one token: it looks exactly like a replay, so the winner's new
        // tokens are revoked as well and the client must log in again. That is
        // the price of never letting one refresh token be used twice.
        if let Some(record) = self.record(&hash, true).await? {
            self.revoke(&record.family_id).await?;
            tracing::warn!(
                user_id = record.user_id,
                family = %record.family_id,
                "refresh token replayed: family revoked"
            );
            return Err(replayed());
        }
        Err(invalid_grant())
    }

    async fn revoke(&self, family_id: &str) -> Result<(), ApiError> {
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

impl RefreshStore for DbRefreshStore {
    fn issue(&self, user_id: i64) -> BoxFuture<'_, Result<IssuedRefresh, ApiError>> {
        Box::pin(async move {
            let mut conn = self.db.pool().acquire().await?;
            let family_id = uuid::Uuid::new_v4().to_string();
            self.insert(&mut conn, user_id, family_id).await
        })
    }

    fn rotate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Rotated, ApiError>> {
        Box::pin(self.rotate_inner(token))
    }

    fn find<'a>(
        &'a self,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefreshRecord>, ApiError>> {
        Box::pin(async move {
            if token.is_empty() || token.len() > MAX_TOKEN_LEN {
                return Ok(None);
            }
            self.record(&hash_token(token), false).await
        })
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(self.revoke(family_id))
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

pub(crate) fn invalid_grant() -> ApiError {
    ApiError::InvalidGrant("the refresh token is unknown, expired or revoked; log in again".into())
}

/// The answer to a replayed (spent) token, whichever store noticed it.
pub(crate) fn replayed() -> ApiError {
    ApiError::InvalidGrant(
        "this refresh token was already used; every token of its login is now revoked, \
         log in again"
            .into(),
    )
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<RefreshRecord, ApiError> {
    let get = |e: sqlx::Error| ApiError::Internal(e.into());
    Ok(RefreshRecord {
        family_id: row.try_get("family_id").map_err(get)?,
        user_id: row.try_get("user_id").map_err(get)?,
    })
}

pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fast hash is enough: the token has 256 random bits, so there is nothing
/// for a slow hash to protect against, and lookups need a deterministic key.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url_and_hashed_to_hex() {
        let token = new_token();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&token).map(|b| b.len()).ok(),
            Some(32)
        );
        let hash = hash_token(&token);
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_token(), token);
    }
}
