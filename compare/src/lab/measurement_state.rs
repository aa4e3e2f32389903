//! A measurement's state, shared by the servers of that one measurement.

use std::path::Path;

use super::redis::Namespace;

/// Where one measurement of one configuration keeps its state: a data folder
/// (the users' SQLite file, jwt-app's key file) and, for a Redis column, a
/// part of Redis of its own. Servers started on the same home share that
/// state (a restart, a second instance); dropping it removes the folder and
/// the Redis keys.
pub struct Home {
    dir: tempfile::TempDir,
    redis: Option<Namespace>,
}

impl Home {
    pub fn new(dir: tempfile::TempDir, redis: Option<Namespace>) -> Self {
        Self { dir, redis }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What each key in this home's part of Redis costs: see
    /// [`Namespace::key_sizes`].
    pub async fn key_sizes(&self) -> anyhow::Result<Vec<(String, u64)>> {
        match &self.redis {
            Some(redis) => redis.key_sizes().await,
            None => anyhow::bail!("this home has no part of Redis"),
        }
    }

    /// The server flags that point it at this home's part of Redis.
    pub fn redis_flags(&self) -> Vec<String> {
        self.redis
            .as_ref()
            .map(Namespace::flags)
            .unwrap_or_default()
    }
}
