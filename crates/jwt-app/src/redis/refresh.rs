//! `REFRESH_STORE=redis`: the refresh-token rules of the db store
//! ([`crate::refresh_tokens::DbRefreshStore`]) on Redis, so that a replay noticed by one
//! instance revokes the family on all of them. The key layout is in the
//! parent module.

use std::time::Duration;

use auth_core::redis::fred::{
    self,
    interfaces::{HashesInterface, KeysInterface},
    types::Expiration,
};
use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
};
use futures::future::BoxFuture;

use super::Redis;
use crate::refresh_tokens::{
    IssuedRefresh, MAX_TOKEN_LEN, RefreshRecord, RefreshStore, Rotated, hash_token, invalid_grant,
    new_token, replayed,
};

const TOKEN: &str = "rt";
const FAMILY: &str = "fam";

/// Writes a new token record and its TTL in one step, so that no record is
/// ever left without an expiry.
/// KEYS[1]: the token; ARGV: family, user, TTL in milliseconds.
const ISSUE: &str = r"
redis.call('HSET', KEYS[1], 'family', ARGV[1], 'user', ARGV[2], 'spent', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// The whole rotation, which Redis runs without interleaving any other
/// command: this is the lock. Of two requests presenting one token, the
/// first marks it spent and writes the successor; the second finds it spent,
/// exactly as a replay, and revokes the family (the winner's new token too:
/// the db store does the same, and must, since it cannot tell a race from a
/// theft).
/// KEYS[1]: the presented token; KEYS[2]: its successor.
/// ARGV[1]: the prefix of family keys; ARGV[2]: the TTL in milliseconds.
const ROTATE: &str = r"
local record = redis.call('HMGET', KEYS[1], 'family', 'user', 'spent')
local family, user, spent = record[1], record[2], record[3]
if not family then
  return {'invalid'}
end
local family_key = ARGV[1] .. family
if spent == '1' then
  redis.call('SET', family_key, 'revoked', 'PX', ARGV[2])
  return {'replayed', family, user}
end
if redis.call('EXISTS', family_key) == 1 then
  return {'invalid'}
end
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('HSET', KEYS[2], 'family', family, 'user', user, 'spent', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {'rotated', family, user}
";

/// Refresh tokens in Redis: `<prefix>rt:<sha256>` records and
/// `<prefix>fam:<family>` revocation flags.
#[derive(Clone)]
pub struct RedisRefreshStore {
    redis: Redis,
    ttl_secs: u64,
    /// The TTL of every key this store writes, in milliseconds as `PX` takes it.
    ttl_ms: i64,
}

impl RedisRefreshStore {
    pub fn new(redis: Redis, ttl: Duration) -> Self {
        Self {
            redis,
            ttl_secs: ttl.as_secs(),
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn token_key(&self, token: &str) -> String {
        self.redis.key(TOKEN, &hash_token(token))
    }

    async fn issue_inner(&self, user_id: i64) -> Result<IssuedRefresh, ApiError> {
        let family_id = uuid::Uuid::new_v4().to_string();
        let token = new_token();
        let _: i64 = self
            .redis
            .eval(
                ISSUE,
                &[&self.token_key(&token)],
                &[&family_id, &user_id.to_string(), &self.ttl_ms.to_string()],
            )
            .await
            .map_err(down)?;
        Ok(IssuedRefresh {
            token,
            family_id,
            expires_in: self.ttl_secs,
        })
    }

    async fn rotate_inner(&self, token: &str) -> Result<Rotated, ApiError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(invalid_grant());
        }
        let successor = new_token();
        let family_prefix = self.redis.key(FAMILY, "");
        let reply: Vec<String> = self
            .redis
            .eval(
                ROTATE,
                &[&self.token_key(token), &self.token_key(&successor)],
                &[&family_prefix, &self.ttl_ms.to_string()],
            )
            .await
            .map_err(down)?;
        match reply.as_slice() {
            [outcome, family, user] if outcome == "rotated" => Ok(Rotated {
                user_id: parse_user(user)?,
                issued: IssuedRefresh {
                    token: successor,
                    family_id: family.clone(),
                    expires_in: self.ttl_secs,
                },
            }),
            [outcome, family, user] if outcome == "replayed" => {
                tracing::warn!(
                    user_id = %user,
                    family = %family,
                    "refresh token replayed: family revoked"
                );
                Err(replayed())
            }
            [outcome] if outcome == "invalid" => Err(invalid_grant()),
            other => Err(ApiError::Internal(anyhow::anyhow!(
                "unexpected answer from the rotation script: {other:?}"
            ))),
        }
    }

    async fn find_inner(&self, token: &str) -> Result<Option<RefreshRecord>, ApiError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let fields: Vec<Option<String>> = self
            .redis
            .pool()
            .hmget(self.token_key(token), vec!["family", "user"])
            .await
            .map_err(down)?;
        match fields.as_slice() {
            [Some(family_id), Some(user)] => Ok(Some(RefreshRecord {
                family_id: family_id.clone(),
                user_id: parse_user(user)?,
            })),
            _ => Ok(None),
        }
    }

    async fn revoke(&self, family_id: &str) -> Result<(), ApiError> {
        let () = self
            .redis
            .pool()
            .set(
                self.redis.key(FAMILY, family_id),
                "revoked",
                Some(Expiration::PX(self.ttl_ms)),
                None,
                false,
            )
            .await
            .map_err(down)?;
        Ok(())
    }
}

fn down(e: fred::error::Error) -> ApiError {
    ApiError::store_down("refresh token store", e)
}

fn parse_user(user: &str) -> Result<i64, ApiError> {
    user.parse().map_err(|_| {
        ApiError::Internal(anyhow::anyhow!(
            "a refresh token record in Redis names the user {user:?}"
        ))
    })
}

impl RefreshStore for RedisRefreshStore {
    fn issue(&self, user_id: i64) -> BoxFuture<'_, Result<IssuedRefresh, ApiError>> {
        Box::pin(self.issue_inner(user_id))
    }

    fn rotate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Rotated, ApiError>> {
        Box::pin(self.rotate_inner(token))
    }

    fn find<'a>(
        &'a self,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefreshRecord>, ApiError>> {
        Box::pin(self.find_inner(token))
    }

    fn revoke_family<'a>(&'a self, family_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(self.revoke(family_id))
    }
}

#[async_trait::async_trait]
impl MeasuredStore for RedisRefreshStore {
    /// Token records, spent ones too (replay detection needs them, as in the
    /// db store), and revoked-family flags.
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        self.redis.measure(&[TOKEN, FAMILY]).await.map_err(down)
    }
}
