//! Logout and the access token: without a denylist it outlives the logout
//! (the loophole), with one it dies at once. What logout does to refresh
//! tokens is a rule of every refresh store (refresh.rs).

use reqwest::StatusCode;
use serde_json::json;
use test_support::expect_error;

use crate::helpers::{challenge, expect_invalid_grant, expect_invalid_token, spawn_app};

#[tokio::test]
async fn without_a_denylist_the_access_token_outlives_logout() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("loophole").await;

    let res = app
        .logout(
            &tokens.access,
            Some(json!({"refresh_token": tokens.refresh})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // The logout loophole, on purpose: nothing is looked up, so the stateless
    // token keeps working until its exp.
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    // But its refresh family is gone: no new access token after this one.
    expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
}

#[tokio::test]
async fn with_the_memory_denylist_the_access_token_dies_at_logout() {
    let app = spawn_app(&["--denylist", "memory"]).await;
    let (email, tokens) = app.user("denied").await;
    let other = app.login(&email).await;

    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app.get("/protected", Some(&tokens.access)).await;
    assert!(challenge(&res).contains("revoked"), "{}", challenge(&res));
    expect_invalid_token(res).await;
    expect_invalid_token(app.logout(&tokens.access, None).await).await;

    // Only that token: another login of the same user is untouched.
    assert_eq!(
        app.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_needs_a_token() {
    let app = spawn_app(&[]).await;
    let res = app.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(challenge(&res), "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_malformed_logout_body_is_refused() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("badbody").await;
    let res = app
        .client
        .post(app.url("/logout"))
        .bearer_auth(&tokens.access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
}
