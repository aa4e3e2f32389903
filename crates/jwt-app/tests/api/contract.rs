//! The rows of the contract both servers share, run against jwt-app in each
//! configuration; the test names say which (`contract::postgres::login_rules`).

use test_support::contract_suite;

use crate::backends::{denylist_memory, denylist_off, mariadb, postgres};

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
