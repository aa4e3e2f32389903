//! `DENYLIST=redis`: denied `jti`s and `sid`s as keys that expire with the
//! last token they deny, so that every instance sharing the Redis refuses a
//! logged-out login at once.

use auth_core::redis::fred::{interfaces::KeysInterface, types::Expiration};
use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};

use super::{Denied, Denylist, DenylistError};
use crate::redis::Redis;

const KIND: &str = "deny";

/// `<prefix>deny:<jti>` and `<prefix>deny:sid:<sid>`, set with `EXAT` at the deadline.
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
    async fn deny(&self, entry: Denied<'_>, until: i64) -> Result<(), DenylistError> {
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
                self.redis.key(KIND, &entry.key()),
                1,
                Some(Expiration::EXAT(until)),
                None,
                false,
            )
            .await
            .map_err(down)?;
        Ok(())
    }

    async fn is_denied(&self, jti: &str, sid: &str) -> Result<bool, DenylistError> {
        // Both names in one round trip.
        let keys = [Denied::Token(jti), Denied::Login(sid)].map(|e| self.redis.key(KIND, &e.key()));
        let n: i64 = self
            .redis
            .pool()
            .exists(keys.to_vec())
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
