//! `DENYLIST=redis`: denied `jti`s as keys that expire with their token, so
//! that every instance sharing the Redis refuses a logged-out token at once.

use auth_core::redis::fred::{interfaces::KeysInterface, types::Expiration};
use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};

use super::{Denylist, DenylistError};
use crate::redis::Redis;

const KIND: &str = "deny";

/// `<prefix>deny:<jti>`, set with `EXAT` at the deadline.
#[derive(Clone)]
pub struct RedisDenylist {
    redis: Redis,
}

impl RedisDenylist {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

fn down(e: impl std::fmt::Display) -> DenylistError {
    DenylistError(format!("redis: {e}"))
}

#[async_trait::async_trait]
impl Denylist for RedisDenylist {
    async fn deny(&self, jti: &str, until: i64) -> Result<(), DenylistError> {
        // A token past its deadline is refused by verification anyway:
        // nothing to remember (and EXAT in the past would be a no-op).
        if until <= unix_now() {
            return Ok(());
        }
        // The absolute deadline (not a TTL counted from now), so the key
        // goes exactly when the token would be refused anyway, however
        // long the request took to get here.
        let () = self
            .redis
            .pool()
            .set(
                self.redis.key(KIND, jti),
                1,
                Some(Expiration::EXAT(until)),
                None,
                false,
            )
            .await
            .map_err(down)?;
        Ok(())
    }

    async fn is_denied(&self, jti: &str) -> Result<bool, DenylistError> {
        let n: i64 = self
            .redis
            .pool()
            .exists(self.redis.key(KIND, jti))
            .await
            .map_err(down)?;
        Ok(n > 0)
    }
}

#[async_trait::async_trait]
impl MeasuredStore for RedisDenylist {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        self.redis
            .measure(&[KIND])
            .await
            .map_err(|e| ApiError::store_down("denylist", e))
    }
}
