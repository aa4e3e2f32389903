//! The Redis connection both servers use when a store lives in Redis.

use std::time::Duration;

use anyhow::Context;

pub use fred;
use fred::{
    clients::Pool,
    interfaces::ClientLike,
    types::config::{
        Config, ConnectionConfig, PerformanceConfig, ReconnectPolicy, UnresponsiveConfig,
    },
};

use crate::{HealthCheck, db::redact};

/// Longest one Redis command may take. fred otherwise queues commands while it
/// reconnects, and a request would hang instead of answering 503.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest the first connection may take before the server refuses to start.
pub const START_TIMEOUT: Duration = Duration::from_secs(5);
const POOL_SIZE: usize = 4;

/// Connects a pool to `url`, or fails within [`START_TIMEOUT`] with a message
/// naming REDIS_URL and the setting (`needed_by`, e.g. `SESSION_STORE`) that asked for Redis.
pub async fn connect(url: &str, needed_by: &str) -> anyhow::Result<Pool> {
    let shown = redact(url);
    let config = Config::from_url(url)
        .with_context(|| format!("REDIS_URL `{shown}` is not a valid Redis URL"))?;
    let perf = PerformanceConfig {
        default_command_timeout: COMMAND_TIMEOUT,
        ..PerformanceConfig::default()
    };
    let connection = ConnectionConfig {
        connection_timeout: COMMAND_TIMEOUT,
        internal_command_timeout: COMMAND_TIMEOUT,
        // A connection that stops answering (a frozen host keeps the TCP
        // connection open) is closed and reconnected, instead of timing out
        // every command forever.
        unresponsive: UnresponsiveConfig {
            max_timeout: Some(Duration::from_secs(5)),
            interval: Duration::from_secs(1),
        },
        ..ConnectionConfig::default()
    };
    // Without a policy fred never reconnects once Redis went away, and the
    // server would answer 503 until restarted. 0 attempts = retry forever;
    // 100 ms doubling up to 1 s, so a returning Redis is used within about a second.
    let policy = ReconnectPolicy::new_exponential(0, 100, 1_000, 2);
    let pool = Pool::new(
        config,
        Some(perf),
        Some(connection),
        Some(policy),
        POOL_SIZE,
    )
    .with_context(|| format!("cannot set up the Redis client for {shown}"))?;
    let hint = format!(
        "is Redis running? (`just redis` starts one; set REDIS_URL, or choose another {needed_by})"
    );
    // `init` connects every client and returns the first error; on failure it
    // also stops the connection tasks, so nothing keeps retrying behind us.
    match tokio::time::timeout(START_TIMEOUT, pool.init()).await {
        Ok(Ok(_connection_task)) => {}
        Ok(Err(e)) => anyhow::bail!(
            "cannot connect to Redis at REDIS_URL={shown} ({needed_by}=redis): {e}; {hint}"
        ),
        Err(_) => {
            let _ = pool.quit().await;
            anyhow::bail!(
                "Redis at REDIS_URL={shown} did not answer within {START_TIMEOUT:?} ({needed_by}=redis); {hint}"
            )
        }
    }
    tracing::info!(url = %shown, needed_by, "connected to Redis");
    Ok(pool)
}

/// `/health`'s line for a Redis the app depends on: a PING.
pub struct RedisCheck {
    pub name: &'static str,
    pub pool: Pool,
}

#[async_trait::async_trait]
impl HealthCheck for RedisCheck {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn check(&self) -> Result<(), String> {
        let pong: String = self
            .pool
            .ping(None)
            .await
            .map_err(|e| format!("redis: {e}"))?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(format!("redis answered PING with {pong:?}"))
        }
    }
}
