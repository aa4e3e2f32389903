//! What session-app and jwt-app share: users in a real database, bcrypt off the
//! async runtime, input parsing, the JSON error type, configuration, the routes
//! both servers expose and the HTTP middleware both need.

pub mod accounts;
mod allocator;
pub mod client_addr;
pub mod command;
pub mod config;
pub mod cookie_names;
pub mod cors;
pub mod csrf;
pub mod db;
pub mod device;
pub mod error;
pub mod health;
pub mod host;
pub mod inspect;
pub mod json;
pub mod keep_alive;
pub mod key_file;
pub mod lifecycle;
pub mod log_writer;
pub mod middleware;
pub mod mysql_migration_lock;
pub mod openapi;
pub mod page;
pub mod password;
pub mod principal;
pub mod redis;
pub mod redis_counters;
pub mod routes;
pub mod serve;
pub mod sqlite_file;
pub mod stats;
pub mod sweep;
pub mod throttle;
pub mod users;
pub mod validation;

pub use accounts::Accounts;
pub use config::CommonConfig;
pub use db::Database;
pub use error::ApiError;
pub use health::{Health, HealthCheck};
pub use json::ApiJson;
pub use password::Hasher;
pub use principal::Principal;
pub use users::{Role, RoleChange, User, UserStore};

/// Seconds since the Unix epoch: the one clock every stored expiry uses.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
