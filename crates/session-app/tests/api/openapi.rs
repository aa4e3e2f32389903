//! The API document: the committed copy is what the server serves, and
//! schemathesis finds nothing against the server it describes.

use test_support::{
    PASSWORD, client,
    openapi::{FUZZ_ARGS, Login, matches_committed, schemathesis},
    suite::Served,
    unique_email,
};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_committed_document_is_the_one_served() {
    let app = spawn_app(&[]).await;
    matches_committed(&app.server.url(""), "session-app").await;
}

#[tokio::test]
async fn schemathesis_finds_nothing() {
    let app = spawn_app(&FUZZ_ARGS).await;
    // An admin, so that the admin's routes are fuzzed past their 403.
    let email = unique_email("fuzz");
    let registered = client()
        .post(app.server.url("/register"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let promoted = app
        .operator()
        .args(["set-role", &email, "admin"])
        .output()
        .await
        .unwrap();
    assert!(promoted.status.success(), "{promoted:?}");
    schemathesis(
        &app.server.url(""),
        Login::Cookie {
            email: &email,
            cookie: "sid",
        },
        true,
        "",
    )
    .await;
}
