//! The rows of the contract both servers share, run against jwt-app with and
//! without the denylist.

use test_support::{contract, unique_email};

use crate::helpers::spawn_app;

const DENYLISTS: [&str; 2] = ["off", "memory"];

#[tokio::test]
async fn register_rules() {
    contract::register_rules(&spawn_app(&[]).await.server).await;
}

#[tokio::test]
async fn login_rules() {
    contract::login_rules(&spawn_app(&[]).await.server).await;
}

#[tokio::test]
async fn protected_rules() {
    for denylist in DENYLISTS {
        contract::protected_rules(&spawn_app(&["--denylist", denylist]).await.server).await;
    }
}

#[tokio::test]
async fn admin_rules() {
    let admin = unique_email("contract-admin");
    contract::admin_rules(&spawn_app(&["--admin-emails", &admin]).await.server, &admin).await;
}

#[tokio::test]
async fn routing_rules() {
    for denylist in DENYLISTS {
        contract::routing_rules(
            &spawn_app(&["--denylist", denylist]).await.server,
            "jwt-app",
        )
        .await;
    }
}

#[tokio::test]
async fn throttle_rules() {
    contract::throttle_rules(&spawn_app(&[]).await.server).await;
}
