//! Redis for jwt-app: the store that lets several instances share revocation.
//! One connection pool serves both Redis stores (`DENYLIST=redis` and
//! `REFRESH_STORE=redis`), and /health pings it.
//!
//! # Key layout
//!
//! Every key starts with `REDIS_PREFIX` (default `auth-compare:jwt:`, written
//! `<p>` below), so that apps, and tests, sharing one Redis never see each
//! other's keys. Every key carries a TTL: Redis itself forgets an entry when
//! it can no longer matter, and nothing needs sweeping.
//!
//! | key | type | value | expires |
//! |---|---|---|---|
//! | `<p>deny:<jti>` | string | `1` | at the access token's `exp` + leeway (`EXAT`): after that the token is refused anyway |
//! | `<p>deny:sid:<sid>` | string | `1` | a denied login: ACCESS_TTL + leeway after the deny, when its last access token is refused anyway |
//! | `<p>rt:<sha256 of the refresh token>` | hash | `family`, `user`, `spent` (`0`/`1`), `ends` (the family's end, Unix ms) | `REFRESH_TTL` after it was issued, or at `ends` if sooner, like the `expires_at` of the db store |
//! | `<p>fam:<family id>` | string | `revoked` | `REFRESH_TTL` after the revocation |
//! | `<p>usr:<user id>` | set | the user's family ids | `REFRESH_FAMILY_TTL` after the user's latest login |
//! | `<p>lgn:<family id>` | hash | `handle` (random, what "your logins" names it by), `created`, `used` (Unix ms, moved at each refresh), `agent` | with the family's newest token |
//!
//! A refresh token is stored as its SHA-256 only, like in the database. A
//! spent token stays (marked `spent`) until its TTL runs out: that is what
//! recognises a replay. A family has no key while it is live; revoking it
//! writes its `fam:` flag, which outlives every token of the family (each
//! expires at most `REFRESH_TTL` after it was issued, and none is issued
//! after the flag, since rotation checks the flag in the same atomic step).
//! Its absolute end (`REFRESH_FAMILY_TTL` after the login) travels in each of
//! its records, copied at every rotation, so no rotation extends it. The
//! `usr:` set is what a demotion revokes (`refresh_tokens/revoke_user.lua`);
//! a logout leaves its family in the set, flagged, until the demotion or the
//! set's expiry.
//!
//! Rotation is one Lua script (`refresh_tokens/rotate.lua`), which Redis runs
//! atomically: read the token, check spent and revoked, mark it spent and
//! write its successor, or on a spent token revoke the family. Of two requests
//! presenting one token, one runs first and wins; the other finds it spent.
//! The script derives the `fam:` key from the record, which a standalone Redis
//! allows; on a Redis Cluster put a hash tag in the prefix (`{auth}:jwt:`) so
//! that all of the app's keys live in one slot.
//!
//! Scripts are sent as `EVALSHA` (their SHA-1 only). A Redis that has not seen
//! one yet (new, restarted, or after `SCRIPT FLUSH`) answers `NOSCRIPT`, and
//! [`Redis::run`] loads the script and tries once more.
//!
//! # When Redis is down
//!
//! At start, a Redis that does not answer within [`auth_core::redis::START_TIMEOUT`] stops the
//! server with a message naming `REDIS_URL`: a server that could only answer
//! 503 should not pretend to start. Once running, every command gives up after
//! [`auth_core::redis::COMMAND_TIMEOUT`] (the request gets 503 JSON; the denylist fails closed),
//! and the pool reconnects forever in the background, so service resumes on
//! its own when Redis is back. A Redis restarted without persistence comes
//! back empty: the denylist forgets its tokens (they work again until `exp`)
//! and every refresh token is gone (everyone logs in again). Run Redis with
//! AOF or RDB persistence if that matters.

use auth_core::{
    redis::{
        RedisCheck,
        fred::{
            self,
            clients::Pool,
            interfaces::KeysInterface,
            types::{FromValue, MultipleKeys, MultipleValues, scripts::Script},
        },
    },
    stats::StoreStats,
};

/// Keys asked for per `SCAN` step.
const SCAN_COUNT: u32 = 1_000;

/// The shared pool, the key prefix and the count script. Cheap to clone: the
/// pool is a handle and the script text is shared.
#[derive(Clone)]
pub struct Redis {
    pool: Pool,
    prefix: String,
    measure: Script,
}

impl Redis {
    /// Connects, or fails within [`auth_core::redis::START_TIMEOUT`] with a message naming the
    /// URL and `needed_by` (the settings that asked for Redis).
    pub async fn connect(url: &str, prefix: &str, needed_by: &str) -> anyhow::Result<Self> {
        let pool = auth_core::redis::connect(url, needed_by).await?;
        Ok(Self {
            pool,
            prefix: prefix.to_owned(),
            measure: Script::from_lua(include_str!("redis/measure.lua")),
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `<prefix><kind>:<id>`.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    /// What /health asks: a `PING` round trip.
    pub fn health_check(&self) -> RedisCheck {
        RedisCheck {
            name: "redis",
            pool: self.pool.clone(),
        }
    }

    /// Runs `script` atomically on Redis, by `EVALSHA`, loading it first
    /// where Redis answers `NOSCRIPT`.
    pub async fn run<R, K, V>(
        &self,
        script: &Script,
        keys: K,
        args: V,
    ) -> Result<R, fred::error::Error>
    where
        R: FromValue,
        K: Into<MultipleKeys> + Send,
        V: TryInto<MultipleValues> + Send,
        V::Error: Into<fred::error::Error> + Send,
    {
        script
            .evalsha_with_reload(self.pool.next(), keys, args)
            .await
    }

    /// Keys under `<prefix><kind>:` and their bytes, walked with `SCAN` (never
    /// `KEYS`, which blocks Redis while it walks them all). The bytes are
    /// those of the data itself: the key name (for the denylist the jti *is*
    /// the key) plus the string value, or a hash's field names and values,
    /// comparable with what the db and memory stores count. Redis' own
    /// per-key overhead, which `MEMORY USAGE` would add, is left out.
    pub async fn measure(&self, kinds: &[&str]) -> Result<StoreStats, fred::error::Error> {
        let mut stats = StoreStats::default();
        for kind in kinds {
            let pattern = format!("{}{kind}:*", glob_escape(&self.prefix));
            let mut cursor = "0".to_owned();
            loop {
                let (next, keys): (String, Vec<String>) = self
                    .pool
                    .scan_page(cursor, pattern.as_str(), Some(SCAN_COUNT), None)
                    .await?;
                if !keys.is_empty() {
                    // One round trip per page; a key that expired since SCAN
                    // saw it is skipped by the script.
                    let (entries, bytes): (i64, i64) =
                        self.run(&self.measure, keys, Vec::<String>::new()).await?;
                    stats.entries += entries;
                    stats.bytes += bytes;
                }
                if next == "0" {
                    break;
                }
                cursor = next;
            }
        }
        Ok(stats)
    }
}

/// `s` with the glob characters of `SCAN MATCH` escaped, so that a prefix
/// such as `{auth}:jwt:` or `a*b:` matches only itself.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_in_the_prefix_are_escaped() {
        assert_eq!(glob_escape("auth-compare:jwt:"), "auth-compare:jwt:");
        assert_eq!(glob_escape("{a}*?[x]\\:"), "{a}\\*\\?\\[x\\]\\\\:");
    }
}
