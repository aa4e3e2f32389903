//! `DENYLIST=redis`: denied `jti`s and `sid`s as keys that expire with the
//! last token they deny, so that every instance sharing the Redis refuses a
//! logged-out login at once.

use auth_core::redis::fred::{interfaces::KeysInterface, types::Expiration};
use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats},
    unix_now,
};

use super::{Checked, Denied, Denylist, DenylistError};
use crate::redis::Redis;

const KIND: &str = "deny";

/// `<prefix>deny:<jti>`, `<prefix>deny:sid:<sid>` and `<prefix>deny:nbf:<user
/// id>` (the user's "not before", Unix seconds), set with `EXAT` at the
/// deadline.
#[derive(Clone)]
pub struct RedisDenylist {
    redis: Redis,
}

impl RedisDenylist {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn user_key(&self, user_id: i64) -> String {
        self.redis.key(KIND, &format!("nbf:{user_id}"))
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

    async fn not_before(&self, user_id: i64, at: i64, until: i64) -> Result<(), DenylistError> {
        if until <= unix_now() {
            return Ok(());
        }
        // `at` is now: a later call has a later one, so a plain SET never
        // moves it back (but for clock skew between instances, of seconds).
        let () = self
            .redis
            .pool()
            .set(
                self.user_key(user_id),
                at,
                Some(Expiration::EXAT(until)),
                None,
                false,
            )
            .await
            .map_err(down)?;
        Ok(())
    }

    async fn is_denied(&self, token: &Checked<'_>) -> Result<bool, DenylistError> {
        // The three names in one round trip.
        let keys = vec![
            self.redis.key(KIND, &Denied::Token(token.jti).key()),
            self.redis.key(KIND, &Denied::Login(token.sid).key()),
            self.user_key(token.user_id),
        ];
        let values: Vec<Option<String>> = self.redis.pool().mget(keys).await.map_err(down)?;
        Ok(match values.as_slice() {
            [jti, sid, nb] => {
                jti.is_some()
                    || sid.is_some()
                    || nb
                        .as_deref()
                        .and_then(|nb| nb.parse::<i64>().ok())
                        .is_some_and(|nb| token.iat < nb)
            }
            // Fail closed on an answer of the wrong shape.
            _ => return Err(DenylistError("redis: unexpected MGET answer".into())),
        })
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
