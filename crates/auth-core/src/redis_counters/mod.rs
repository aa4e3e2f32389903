//! The throttle's counts in Redis, so that every instance sharing the Redis
//! sees every attempt: a guesser cannot multiply its tries by the number of
//! instances behind the load balancer.
//!
//! Each count is a key `<prefix><kind>:<who>` holding an integer, whose TTL
//! is its window (set by the first count). The check and the counting are
//! one Lua script, which Redis runs without interleaving, so parallel
//! attempts on several instances cannot all pass the check. The keys of one
//! attempt may live in different slots: on a Redis Cluster, put a hash tag
//! in the prefix.

use std::time::Duration;

use fred::{clients::Pool, types::scripts::Script};

use crate::{ApiError, throttle::Counters};

pub struct RedisCounters {
    pool: Pool,
    prefix: String,
    reserve: Script,
    release: Script,
}

impl RedisCounters {
    pub fn new(pool: Pool, prefix: &str) -> Self {
        Self {
            pool,
            prefix: prefix.to_owned(),
            reserve: Script::from_lua(include_str!("reserve.lua")),
            release: Script::from_lua(include_str!("release.lua")),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn down(e: fred::error::Error) -> ApiError {
    ApiError::store_down("throttle", e)
}

#[async_trait::async_trait]
impl Counters for RedisCounters {
    async fn reserve(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, ApiError> {
        let names: Vec<String> = keys.iter().map(|(k, _)| self.key(k)).collect();
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
        let mut args = vec![window_ms];
        args.extend(keys.iter().map(|(_, cap)| i64::from(*cap)));
        let wait_ms: i64 = self
            .reserve
            .evalsha_with_reload(self.pool.next(), names, args)
            .await
            .map_err(down)?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms.unsigned_abs())))
    }

    async fn release(&self, give_back: &[String], forget: &[String]) -> Result<(), ApiError> {
        let names: Vec<String> = give_back
            .iter()
            .chain(forget)
            .map(|k| self.key(k))
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let _: i64 = self
            .release
            .evalsha_with_reload(self.pool.next(), names, vec![give_back.len() as i64])
            .await
            .map_err(down)?;
        Ok(())
    }
}
