//! The rows of the contract both servers share, run against session-app with
//! each store; the test names say which (`contract::memory::login_rules`).

use test_support::contract_suite;

use crate::helpers::{TestApp, spawn_app};

async fn memory(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(extra).await)
}

async fn sqlite_db(extra: &[&str]) -> Option<TestApp> {
    let mut args = vec!["--session-store", "db"];
    args.extend_from_slice(extra);
    Some(spawn_app(&args).await)
}

contract_suite!(memory, "session-app", memory);
contract_suite!(sqlite_db, "session-app", sqlite_db);
