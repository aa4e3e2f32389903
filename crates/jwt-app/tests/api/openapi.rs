//! The API documents, one per transport (their login and refresh answer
//! differently): the committed copies are what the servers serve, and
//! schemathesis finds nothing against the servers they describe.

use test_support::{
    openapi::{FUZZ_ARGS, Login, matches_committed, schemathesis},
    suite::Served,
    unique_email,
};

use crate::helpers::{TestApp, spawn_app};

const COOKIE: [&str; 2] = ["--token-transport", "cookie"];

#[tokio::test]
async fn the_committed_documents_are_the_ones_served() {
    matches_committed(&spawn_app(&[]).await.url(""), "jwt-app").await;
    matches_committed(&spawn_app(&COOKIE).await.url(""), "jwt-app-cookie").await;
}

/// A registered admin, so that the admin's routes are fuzzed past their 403.
async fn admin(app: &TestApp) -> String {
    let email = unique_email("fuzz");
    app.register(&email).await;
    let promoted = app
        .operator()
        .args(["set-role", &email, "admin"])
        .output()
        .await
        .unwrap();
    assert!(promoted.status.success(), "{promoted:?}");
    email
}

#[tokio::test]
async fn schemathesis_finds_nothing_with_bearer_tokens() {
    let app = spawn_app(&FUZZ_ARGS).await;
    let email = admin(&app).await;
    schemathesis(&app.url(""), Login::Bearer { email: &email }, true, "").await;
}

#[tokio::test]
async fn schemathesis_finds_nothing_with_tokens_in_cookies() {
    let app = spawn_app(&[&FUZZ_ARGS[..], &COOKIE[..]].concat()).await;
    let email = admin(&app).await;
    let login = Login::Cookie {
        email: &email,
        cookie: "access_token",
    };
    schemathesis(&app.url(""), login, true, "").await;
}
