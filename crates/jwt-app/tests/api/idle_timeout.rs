//! `REFRESH_IDLE_TIMEOUT` (ASVS 5.0 7.3.1) on each refresh store: a refresh
//! token unused that long is dead (`invalid_grant`), each refresh moves the
//! deadline, and the access token is never cut short by idleness (it works
//! until `exp`: the JWT's lesson).

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Prefix, TestApp, expect_invalid_grant, spawn_app, spawn_app_on, token_pair};

const IDLE: [&str; 2] = ["--refresh-idle-timeout", "2s"];

async fn idle_refresh_tokens_die(app: &TestApp) {
    let (_, mut pair) = app.user("idle").await;
    // Refreshed every 0.8 s, the login outlives the 2 s timeout: each
    // refresh is activity. (The db store counts whole seconds, so a timeout
    // of 2 s is 1 to 2 s there.)
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        pair = token_pair(app.refresh(&pair.refresh).await).await;
    }
    tokio::time::sleep(Duration::from_millis(3200)).await;
    expect_invalid_grant(app.refresh(&pair.refresh).await).await;
    assert_eq!(
        app.get("/protected", Some(&pair.access)).await.status(),
        StatusCode::OK,
        "the access token lives until exp, idle or not"
    );
}

#[tokio::test]
async fn sqlite() {
    idle_refresh_tokens_die(&spawn_app(&IDLE).await).await;
}

#[tokio::test]
async fn postgres() {
    if let Some((_db, app)) = spawn_app_on(test_support::databases::Kind::Postgres, &IDLE).await {
        idle_refresh_tokens_die(&app).await;
    }
}

#[tokio::test]
async fn mariadb() {
    if let Some((_db, app)) = spawn_app_on(test_support::databases::Kind::MySql, &IDLE).await {
        idle_refresh_tokens_die(&app).await;
    }
}

#[tokio::test]
async fn redis() {
    let Some(url) = test_support::redis::shared_redis_url().await else {
        return;
    };
    let prefix = Prefix::new(&url);
    let app = spawn_app(&prefix.args(&IDLE)).await;
    idle_refresh_tokens_die(&app).await;
}
