//! The setups of jwt-app that the shared suites (`test_support`'s
//! `contract_suite!`, `lifecycle_suite!`, …) and the denylist's run on, each
//! started with a test's `extra` arguments, and what must live as long as
//! the app (a database, a Redis prefix) beside it.

use test_support::databases::{Kind, TestDatabase};

use crate::helpers::{Prefix, TestApp, spawn_app, spawn_app_on};

/// `base`, then `extra`.
async fn with(base: &[&str], extra: &[&str]) -> Option<TestApp> {
    let args: Vec<&str> = base.iter().chain(extra).copied().collect();
    Some(spawn_app(&args).await)
}

/// No denylist: an access token lives until `exp`.
pub async fn denylist_off(extra: &[&str]) -> Option<TestApp> {
    with(&[], extra).await
}

pub async fn denylist_memory(extra: &[&str]) -> Option<TestApp> {
    with(&["--denylist", "memory"], extra).await
}

/// The tokens in HttpOnly cookies (`TOKEN_TRANSPORT=cookie`).
pub async fn cookie(extra: &[&str]) -> Option<TestApp> {
    with(&["--token-transport", "cookie"], extra).await
}

pub async fn postgres(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::Postgres, extra).await
}

pub async fn mariadb(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::MySql, extra).await
}

/// Refresh tokens and the denylist in the shared Redis, under a prefix of
/// the test's own.
pub async fn redis(extra: &[&str]) -> Option<(Prefix, TestApp)> {
    let keys = Prefix::new(&test_support::redis::shared_redis_url().await?);
    let app = spawn_app(&keys.args(extra)).await;
    Some((keys, app))
}
