//! The rows of the contract both servers share, run against session-app with each store.

use test_support::contract;

use crate::helpers::{ADMIN, spawn_app};

const STORES: [&str; 2] = ["memory", "db"];

#[tokio::test]
async fn register_rules() {
    contract::register_rules(&spawn_app(&[]).await.server).await;
}

#[tokio::test]
async fn login_rules() {
    for store in STORES {
        contract::login_rules(&spawn_app(&["--session-store", store]).await.server).await;
    }
}

#[tokio::test]
async fn protected_rules() {
    for store in STORES {
        contract::protected_rules(&spawn_app(&["--session-store", store]).await.server).await;
    }
}

#[tokio::test]
async fn admin_rules() {
    contract::admin_rules(&spawn_app(&[]).await.server, ADMIN).await;
}

#[tokio::test]
async fn routing_rules() {
    for store in STORES {
        contract::routing_rules(
            &spawn_app(&["--session-store", store]).await.server,
            "session-app",
        )
        .await;
    }
}

#[tokio::test]
async fn throttle_rules() {
    contract::throttle_rules(&spawn_app(&[]).await.server).await;
}
