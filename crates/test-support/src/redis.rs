//! Redis for tests, as [`testbed::redis`] provides it, with the tests' rule
//! for what is missing: skipped, or a failure under `CI=true`.

pub use testbed::redis::{exists, set, shared_url as shared_redis_url, ttl};

/// A `redis-server` of this test's own that a test may kill and restart.
pub struct RedisServer(testbed::redis::RedisServer);

impl RedisServer {
    /// Starts one, or `None` (skip, or failure under `CI=true`) when
    /// `redis-server` is not on the PATH.
    pub async fn start() -> Option<Self> {
        let Some(program) = testbed::redis::RedisServer::find() else {
            crate::skip_or_fail(
                "redis-server is not on the PATH (apt-get install redis-server, brew install redis)",
            );
            return None;
        };
        match testbed::redis::RedisServer::start(&program).await {
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
