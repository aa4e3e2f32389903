//! Redis going away and coming back, on a private `redis-server` this test
//! starts on a free port: fail closed (503 JSON, never 200, never 401 for a
//! valid token), answer quickly, and resume without a server restart.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use test_support::{
    json,
    outage::{self, timed, wait_for_ok},
    redis::RedisServer,
};

use crate::helpers::{
    Prefix, config, expect_invalid_grant, expect_token_routes_unavailable, spawn_app,
};

/// 503 JSON, as [`outage::expect_unavailable`] checks it (any store named).
async fn expect_unavailable(what: &str, res: reqwest::Response) -> serde_json::Value {
    outage::expect_unavailable(what, res, "").await
}

#[tokio::test]
async fn a_redis_outage_fails_closed_and_service_resumes_without_restart() {
    let Some(mut server) = RedisServer::start().await else {
        return;
    };
    let keys = Prefix::new(&server.url());
    let app = spawn_app(&keys.args(&[])).await;
    let (email, tokens) = app.user("outage").await;
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );

    server.kill();

    // A valid token that cannot be checked against the denylist: neither
    // let through (200) nor treated as logged out (401).
    for _ in 0..3 {
        let res = timed("/protected", app.get("/protected", Some(&tokens.access))).await;
        expect_unavailable("/protected", res).await;
    }
    // Login checks the password in the database, then needs Redis for the
    // refresh token.
    expect_token_routes_unavailable(&app, &email, &tokens, "").await;

    let res = timed("/health", app.get("/health", None)).await;
    let body = outage::expect_health_down(res, "redis").await;
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    // Routes that need no Redis keep working.
    let (status, _) = json(app.get("/profile", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Same port, same server process: no restart of jwt-app.
    server.restart().await;
    let took = wait_for_ok(app.url("/health"), None).await;
    eprintln!("jwt-app saw Redis again {took:?} after its restart");

    let fresh = app.login(&email).await;
    assert_eq!(
        app.get("/protected", Some(&fresh.access)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(&fresh.refresh).await.status(),
        StatusCode::OK,
        "rotation works again"
    );
    // The restarted Redis kept nothing (no persistence): the old refresh
    // token is unknown now, an ordinary 401, no longer a 503.
    expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
    drop(keys);
}

#[tokio::test]
async fn an_unreachable_redis_stops_the_start_with_a_message_naming_redis_url() {
    // A port nothing listens on: bound by us a moment ago, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let dir = test_support::data_dir();
    for (flag, setting) in [
        ("--denylist", "DENYLIST"),
        ("--refresh-store", "REFRESH_STORE"),
    ] {
        let args = [flag, "redis", "--redis-url", &url].map(str::to_owned);
        let started = Instant::now();
        let result = jwt_app::app(config(dir.path(), &args).unwrap()).await;
        let err = match result {
            Ok(_) => panic!("{flag} redis started without Redis"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("REDIS_URL"), "{err}");
        assert!(err.contains(&url), "{err}");
        assert!(err.contains(setting), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    }
}
