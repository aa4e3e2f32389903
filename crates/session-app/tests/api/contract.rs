//! The rows of the contract both servers share, run against session-app with
//! each store; the test names say which (`contract::postgres_db::login_rules`).

use test_support::contract_suite;

use crate::helpers::{memory, mysql_db, postgres_db, shared_redis, sqlite_db};

contract_suite!(memory, "session-app", memory);

contract_suite!(sqlite_db, "session-app", sqlite_db);
contract_suite!(postgres_db, "session-app", postgres_db);
contract_suite!(mysql_db, "session-app", mysql_db);
contract_suite!(redis, "session-app", shared_redis);

// Arbitrary requests (test_support::fuzz), on setups whose users are in the SQLite file.
test_support::fuzz_suite!(fuzz_memory, memory);
test_support::fuzz_suite!(fuzz_sqlite_db, sqlite_db);

/// Accounts stored under the looser email rules of before (issue 21) still
/// log in; users in the SQLite file of the data folder.
#[tokio::test]
async fn an_address_stored_under_older_rules_still_logs_in() {
    if let Some(app) = memory(&[]).await {
        test_support::attacks::an_address_stored_under_older_rules_still_logs_in(&app).await;
    }
}
