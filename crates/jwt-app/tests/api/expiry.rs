use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{challenge, expect_invalid_token, spawn_app};

#[tokio::test]
async fn a_short_lived_token_really_expires() {
    let app = spawn_app(&["--access-ttl", "1", "--jwt-leeway", "0"]).await;
    let (_, tokens) = app.user("short").await;
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );

    tokio::time::sleep(Duration::from_millis(2200)).await;

    let res = app.get("/protected", Some(&tokens.access)).await;
    assert!(challenge(&res).contains("expired"), "{}", challenge(&res));
    expect_invalid_token(res).await;
    // The refresh token outlives it: that is what it is for.
    assert_eq!(app.refresh(&tokens.refresh).await.status(), StatusCode::OK);
}
