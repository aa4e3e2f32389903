//! Session mode: every request asks session-app, once; without a verdict
//! from it (down, too slow, failing) the answer is 503, never 401.

use std::time::{Duration, Instant};

use contract_client::client::Credential;
use reqwest::StatusCode;
use test_support::{expect_error, json, redis::RedisServer};

use crate::helpers::{resource, session_app, session_resource, status_of};

#[tokio::test]
async fn a_valid_cookie_costs_one_call_to_session_app_per_request() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let (email, cred) = session.user("reader").await;
    let before = rs.counters().await;
    assert_eq!(
        before.get("upstream_calls"),
        0,
        "nothing is fetched at start"
    );

    for _ in 0..3 {
        let (status, body) = json(rs.get("/notes", Some(&cred)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["email"], email.as_str());
    }
    let after = rs.counters().await;
    assert_eq!(
        after.get("introspections"),
        before.get("introspections") + 3
    );
    assert_eq!(
        after.get("upstream_calls"),
        before.get("upstream_calls") + 3
    );
    assert_eq!(
        after.get("verified_requests"),
        before.get("verified_requests") + 3
    );
    assert_eq!(after.get("jwks_fetches"), 0);
    assert_eq!(after.0["mode"], "session");
}

#[tokio::test]
async fn no_unknown_or_logged_out_cookie_is_401() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let (_, cred) = session.user("leaving").await;

    let res = rs.get("/notes", None).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let other = Credential::Cookie("theme=dark".into());
    let res = rs.get("/notes", Some(&other)).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(
        rs.counters().await.get("upstream_calls"),
        0,
        "without a session cookie there is nothing to ask"
    );

    let res = rs.get("/notes", Some(&cred.forged())).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
    session.logout(&cred).await;
    let res = rs.get("/notes", Some(&cred)).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(rs.counters().await.get("introspections"), 3);
}

#[tokio::test]
async fn a_stopped_session_app_is_503_not_401() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let (_, cred) = session.user("stranded").await;
    let stopped = session.stop().await;

    let res = rs.get("/notes", Some(&cred)).await;
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;

    // Back on the same address, the memory store starts empty: now the
    // cookie is answered for, and unknown.
    let session = stopped.restart().await;
    let res = rs.get("/notes", Some(&cred)).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    drop(session);
}

/// session-app answers 5xx (its Redis store is down): no verdict, 503.
#[tokio::test]
async fn a_failing_session_app_is_503_not_401() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let url = redis.url();
    let session = session_app(&["--session-store", "redis", "--redis-url", &url]).await;
    // Long enough for session-app's own Redis timeout to answer first.
    let rs = session_resource(&session, &["--upstream-timeout", "15s"]).await;
    let (_, cred) = session.user("outage").await;
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );

    redis.kill();
    let direct = test_support::get_with(&session.server, &cred, "/session").await;
    assert!(
        direct.status().is_server_error(),
        "session-app fails: {}",
        direct.status()
    );
    let res = rs.get("/notes", Some(&cred)).await;
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

/// A login server that accepts the connection and never answers: the call
/// gives up after UPSTREAM_TIMEOUT, and the request gets 503.
#[tokio::test]
async fn a_session_app_that_never_answers_is_503_after_the_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = silent.local_addr().expect("address");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let rs = resource(
        &format!("http://{addr}"),
        &["--mode", "session", "--upstream-timeout", "500ms"],
    )
    .await;
    let started = Instant::now();
    let res = rs
        .get("/notes", Some(&Credential::Cookie("sid=abc".into())))
        .await;
    let took = started.elapsed();
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(took >= Duration::from_millis(450), "it waited: {took:?}");
    assert!(took < Duration::from_secs(5), "it gave up: {took:?}");
    held.abort();
}

/// With INTROSPECTION_CACHE_TTL, session-app's answer is reused: a logout is
/// still accepted here until the cached answer expires, and no longer.
#[tokio::test]
async fn with_the_cache_a_logout_is_accepted_for_at_most_the_ttl() {
    let ttl = Duration::from_secs(2);
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &["--introspection-cache-ttl", "2s"]).await;
    let (_, cred) = session.user("cached").await;

    let asked = Instant::now();
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
    let counts = rs.counters().await;
    assert_eq!(
        counts.get("introspections"),
        1,
        "the second answer came from the cache"
    );
    assert_eq!(counts.get("introspection_cache_hits"), 1);

    session.logout(&cred).await;
    let stale = rs.get("/notes", Some(&cred)).await;
    if asked.elapsed() < ttl {
        assert_eq!(
            status_of(stale).await,
            StatusCode::OK,
            "stale within the TTL"
        );
    }
    loop {
        let status = status_of(rs.get("/notes", Some(&cred)).await).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            asked.elapsed() < ttl + Duration::from_millis(500),
            "a logout was accepted past the TTL: {:?}",
            asked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        asked.elapsed() >= ttl,
        "the cache kept the answer for the TTL"
    );
}
