//! `REFRESH_STORE=redis`: the refresh-token rules of the db store
//! ([`super::DbRefreshStore`]) on Redis, so that a replay noticed by one
//! instance revokes the family on all of them. The key layout is in
//! [`crate::redis`].

use std::time::Duration;

use auth_core::redis::fred::{
    self,
    interfaces::{HashesInterface, KeysInterface, SetsInterface},
    types::{Expiration, scripts::Script},
};
use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
};

use super::{
    FamilyLogin, IssuedRefresh, RefreshRecord, RefreshStore, RefreshToken, Rotated, Rotation,
    invalid_grant,
};
use crate::redis::Redis;

const TOKEN: &str = "rt";
const FAMILY: &str = "fam";
const USER: &str = "usr";
const LOGIN: &str = "lgn";

/// Refresh tokens in Redis: `<prefix>rt:<sha256>` records,
/// `<prefix>fam:<family>` revocation flags, `<prefix>usr:<user id>` sets
/// of each user's families and `<prefix>lgn:<family>` login records.
#[derive(Clone)]
pub struct RedisRefreshStore {
    redis: Redis,
    /// The TTL of tokens and revocation flags, in milliseconds as `PX` takes it.
    ttl_ms: i64,
    family_ttl_ms: i64,
    issue: Script,
    rotate: Script,
    revoke_user: Script,
    logins: Script,
}

impl RedisRefreshStore {
    pub fn new(redis: Redis, ttl: Duration, family_ttl: Duration) -> Self {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self {
            redis,
            ttl_ms: ms(ttl),
            family_ttl_ms: ms(family_ttl),
            issue: Script::from_lua(include_str!("issue.lua")),
            rotate: Script::from_lua(include_str!("rotate.lua")),
            revoke_user: Script::from_lua(include_str!("revoke_user.lua")),
            logins: Script::from_lua(include_str!("logins.lua")),
        }
    }

    fn token_key(&self, token: &RefreshToken) -> String {
        self.redis.key(TOKEN, &token.hash())
    }

    fn user_key(&self, user_id: i64) -> String {
        self.redis.key(USER, &user_id.to_string())
    }
}

/// Whole seconds of a TTL in milliseconds, for `refresh_expires_in`.
fn secs(ms: i64) -> u64 {
    u64::try_from(ms / 1000).unwrap_or(0)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl RefreshStore for RedisRefreshStore {
    async fn issue(&self, user_id: i64, user_agent: &str) -> Result<IssuedRefresh, ApiError> {
        let family_id = uuid::Uuid::new_v4().to_string();
        let token = RefreshToken::generate();
        let ttl_ms = self.ttl_ms.min(self.family_ttl_ms);
        let now = now_ms();
        let _: i64 = self
            .redis
            .run(
                &self.issue,
                vec![
                    self.token_key(&token),
                    self.user_key(user_id),
                    self.redis.key(LOGIN, &family_id),
                ],
                vec![
                    family_id.clone(),
                    user_id.to_string(),
                    ttl_ms.to_string(),
                    now.saturating_add(self.family_ttl_ms).to_string(),
                    self.family_ttl_ms.to_string(),
                    auth_core::lifecycle::new_handle(),
                    now.to_string(),
                    user_agent.to_owned(),
                ],
            )
            .await
            .map_err(down)?;
        Ok(IssuedRefresh {
            token,
            family_id,
            expires_in: secs(ttl_ms),
        })
    }

    async fn rotate(&self, token: &RefreshToken) -> Result<Rotation, ApiError> {
        let successor = RefreshToken::generate();
        let reply: Vec<String> = self
            .redis
            .run(
                &self.rotate,
                vec![self.token_key(token), self.token_key(&successor)],
                vec![
                    self.redis.key(FAMILY, ""),
                    self.ttl_ms.to_string(),
                    now_ms().to_string(),
                    self.redis.key(LOGIN, ""),
                ],
            )
            .await
            .map_err(down)?;
        match reply.as_slice() {
            [outcome, family, user, ttl_ms] if outcome == "rotated" => {
                Ok(Rotation::Rotated(Rotated {
                    user_id: parse_user(user)?,
                    issued: IssuedRefresh {
                        token: successor,
                        family_id: family.clone(),
                        expires_in: secs(ttl_ms.parse().unwrap_or(0)),
                    },
                }))
            }
            [outcome, family, user] if outcome == "replayed" => {
                tracing::warn!(
                    user_id = %user,
                    family = %family,
                    "refresh token replayed: family revoked"
                );
                Ok(Rotation::Replayed(RefreshRecord {
                    family_id: family.clone(),
                    user_id: parse_user(user)?,
                }))
            }
            [outcome] if outcome == "invalid" => Err(invalid_grant()),
            other => Err(ApiError::Internal(anyhow::anyhow!(
                "unexpected answer from the rotation script: {other:?}"
            ))),
        }
    }

    async fn find(&self, token: &RefreshToken) -> Result<Option<RefreshRecord>, ApiError> {
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

    async fn revoke_family(&self, family_id: &str) -> Result<(), ApiError> {
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

    async fn live_families(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        self.redis
            .pool()
            .smembers(self.user_key(user_id))
            .await
            .map_err(down)
    }

    async fn logins(&self, user_id: i64) -> Result<Vec<FamilyLogin>, ApiError> {
        let flat: Vec<String> = self
            .redis
            .run(
                &self.logins,
                self.user_key(user_id),
                vec![self.redis.key(FAMILY, ""), self.redis.key(LOGIN, "")],
            )
            .await
            .map_err(down)?;
        let now = now_ms();
        let secs = |ms: &str| ms.parse::<i64>().unwrap_or(0) / 1000;
        Ok(flat
            .chunks_exact(6)
            .map(|f| FamilyLogin {
                family_id: f[0].clone(),
                handle: f[1].clone(),
                created_at: secs(&f[2]),
                last_used_at: secs(&f[3]),
                expires_at: (now + f[4].parse::<i64>().unwrap_or(0)) / 1000,
                user_agent: f[5].clone(),
            })
            .collect())
    }

    /// One script, so that no family is read as live and then missed.
    async fn revoke_user(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        self.redis
            .run(
                &self.revoke_user,
                self.user_key(user_id),
                vec![self.redis.key(FAMILY, ""), self.ttl_ms.to_string()],
            )
            .await
            .map_err(down)
    }
}

#[async_trait::async_trait]
impl MeasuredStore for RedisRefreshStore {
    /// Token records, spent ones too (replay detection needs them, as in the
    /// db store), revoked-family flags, the users' family sets and the
    /// families' login records.
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        self.redis
            .measure(&[TOKEN, FAMILY, USER, LOGIN])
            .await
            .map_err(down)
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
