//! The rows of the contract both servers share, run against jwt-app in each
//! configuration; the test names say which (`contract::postgres::login_rules`).

use test_support::{
    contract_suite,
    databases::{Kind, TestDatabase},
};

use crate::helpers::{TestApp, spawn_app, spawn_app_on};

async fn denylist_off(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(extra).await)
}

async fn denylist_memory(extra: &[&str]) -> Option<TestApp> {
    let mut args = vec!["--denylist", "memory"];
    args.extend_from_slice(extra);
    Some(spawn_app(&args).await)
}

async fn postgres(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::Postgres, extra).await
}

async fn mariadb(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::MySql, extra).await
}

contract_suite!(denylist_off, "jwt-app", denylist_off);

contract_suite!(denylist_memory, "jwt-app", denylist_memory);
contract_suite!(postgres, "jwt-app", postgres);
contract_suite!(mariadb, "jwt-app", mariadb);

// Arbitrary requests (test_support::fuzz), on setups whose users are in the SQLite file.
test_support::fuzz_suite!(fuzz_denylist_off, denylist_off);
test_support::fuzz_suite!(fuzz_denylist_memory, denylist_memory);

/// Accounts stored under the looser email rules of before (issue 21) still
/// log in; users in the SQLite file of the data folder.
#[tokio::test]
async fn an_address_stored_under_older_rules_still_logs_in() {
    if let Some(app) = denylist_off(&[]).await {
        test_support::attacks::an_address_stored_under_older_rules_still_logs_in(&app).await;
    }
}
