//! Redis for tests, as [`contract_client::redis`] provides it, with the tests' rule
//! for what is missing: skipped, or a failure under `CI=true`.

use std::sync::atomic::{AtomicU32, Ordering};

pub use contract_client::redis::{exists, set, shared_url as shared_redis_url, ttl};

/// A key prefix no other test uses, in the Redis at `url`; its keys are
/// deleted when it is dropped (also when the test fails), so the machine's
/// Redis is left clean.
pub struct Prefix {
    pub url: String,
    pub prefix: String,
}

impl Prefix {
    pub fn new(url: &str, what: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            url: url.to_owned(),
            prefix: format!(
                "auth-compare:test:{what}:{}-{nanos}-{}:",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        if let Err(e) = contract_client::redis::delete_prefix(&self.url, &self.prefix) {
            eprintln!("could not delete the test keys {}*: {e:#}", self.prefix);
        }
    }
}

/// A `redis-server` of this test's own that a test may kill and restart.
pub struct RedisServer(contract_client::redis::RedisServer);

impl RedisServer {
    /// Starts one, or `None` (skip, or failure under `CI=true`) when
    /// `redis-server` is not on the PATH.
    pub async fn start() -> Option<Self> {
        let Some(program) = contract_client::redis::RedisServer::find() else {
            crate::skip_or_fail(
                "redis-server is not on the PATH (apt-get install redis-server, brew install redis)",
            );
            return None;
        };
        match contract_client::redis::RedisServer::start(&program).await {
            Ok(server) => Some(Self(server)),
            Err(e) => panic!("could not start redis-server: {e:#}"),
        }
    }

    pub fn url(&self) -> String {
        self.0.url()
    }

    /// Kills it at once (SIGKILL: a crash, not a shutdown) and waits for the exit.
    pub fn kill(&mut self) {
        self.0.kill();
    }

    /// Starts it again on the same port, empty (it saved nothing).
    pub async fn restart(&mut self) {
        if let Err(e) = self.0.restart().await {
            panic!("could not restart redis-server at {}: {e:#}", self.url());
        }
    }
}
