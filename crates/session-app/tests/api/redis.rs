//! `SESSION_STORE=redis`: the store that several instances share. These tests
//! use the machine's Redis (`REDIS_URL`), and a private `redis-server` where a
//! test must count keys exactly or kill the server.

use std::time::{Duration, Instant};

use crate::{
    helpers::{
        SHARED_REDIS_TTL as TTL, redis_app, shared_redis, spawn_app, start_in, try_start_in,
    },
    revival, store_suite,
};
use reqwest::StatusCode;
use serde_json::Value;
use session_app::store::RedisSessions;
use test_support::{
    PASSWORD, client,
    contract::{Credential, login_credential, new_user},
    expect_error, json, login, outage,
    redis::{RedisServer, exists, set, shared_redis_url, ttl},
    register, unique_email,
};

/// The Redis key of a session: its id, the value of the `sid` cookie.
fn key_of(cred: &Credential) -> String {
    match cred {
        Credential::Cookie(pair) => pair.trim_start_matches("sid=").to_owned(),
        Credential::Bearer { .. } | Credential::JwtCookie { .. } => {
            panic!("session-app hands out a sid cookie")
        }
    }
}

async fn status(cred: &Credential, app_url: String) -> StatusCode {
    cred.attach(client().get(app_url))
        .send()
        .await
        .unwrap()
        .status()
}

/// /health asks Redis too. (The contract rows on Redis: `contract::redis`.)
#[tokio::test]
async fn health_checks_the_redis_store() {
    let Some(app) = shared_redis(&[]).await else {
        return;
    };
    let (_, health) = json(
        client()
            .get(app.server.url("/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["store"], "redis");
    assert_eq!(health["checks"]["session_store"], "ok", "{health}");
}

/// The point of a shared store: any instance serves any session, a restart
/// loses none, and a logout anywhere is seen everywhere at once.
#[tokio::test]
async fn two_instances_share_sessions() {
    let Some(url) = shared_redis_url().await else {
        return;
    };
    let args = [
        "--session-store",
        "redis",
        "--redis-url",
        &url,
        "--session-ttl",
        TTL,
    ];
    // Both instances also share the users' database, as they would in production.
    let a = spawn_app(&args).await;
    let b = start_in(a.dir.path(), &args).await;

    let (email, cred) = new_user(&a.server, "shared").await;
    let res = cred
        .attach(client().get(b.url("/profile")))
        .send()
        .await
        .unwrap();
    let (code, body) = json(res).await;
    assert_eq!(code, StatusCode::OK, "B serves A's session: {body}");
    assert_eq!(body["email"], email);

    // Restart B: the session is in Redis, not in B.
    b.stop().await;
    let b = start_in(a.dir.path(), &args).await;
    assert_eq!(
        status(&cred, b.url("/protected")).await,
        StatusCode::OK,
        "the session survives a restart"
    );

    let out = cred
        .attach(client().post(a.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let res = cred
        .attach(client().get(b.url("/protected")))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Session keys expire in Redis with the session: the key has a TTL, and
/// Redis itself removes it (no sweep needed).
#[tokio::test]
async fn session_keys_carry_a_ttl() {
    let Some(url) = shared_redis_url().await else {
        return;
    };
    let app = redis_app(&url, &["--session-ttl", TTL]).await;
    let (_, cred) = new_user(&app.server, "ttl").await;
    let key = key_of(&cred);
    let secs = ttl(&url, &key).await.unwrap();
    eprintln!("observed: TTL {key} = {secs} s (session TTL {TTL})");
    assert!((590..=600).contains(&secs), "TTL {secs}");

    let out = cred
        .attach(client().post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(!exists(&url, &key).await.unwrap(), "logout deletes the key");

    // A session that expires is removed by Redis, not only refused. 3 s:
    // under a loaded CI machine a 1 s key was once gone before it was seen.
    let short = redis_app(&url, &["--session-ttl", "3s"]).await;
    let (_, cred) = new_user(&short.server, "expiry").await;
    let key = key_of(&cred);
    assert!(exists(&url, &key).await.unwrap());
    tokio::time::sleep(Duration::from_millis(4_100)).await;
    assert!(!exists(&url, &key).await.unwrap(), "Redis expired the key");
    assert_eq!(
        status(&cred, short.server.url("/protected")).await,
        StatusCode::UNAUTHORIZED
    );
}

/// The connect-redis bug, through HTTP: requests in flight on a session while
/// it is logged out do not write it back.
#[tokio::test]
async fn in_flight_logout_does_not_revive() {
    let Some(url) = shared_redis_url().await else {
        return;
    };
    let app = redis_app(&url, &["--session-ttl", TTL]).await;
    let cred = store_suite::in_flight_logout_does_not_revive(&app.server).await;
    let key = key_of(&cred);
    assert!(!exists(&url, &key).await.unwrap());
}

/// The same bug at the store, where it lives: a late `save` of a session that
/// was deleted must not re-create the key. The store writes with `SET … XX`.
#[tokio::test]
async fn a_late_save_does_not_recreate_a_deleted_session() {
    let Some(url) = shared_redis_url().await else {
        return;
    };
    let store = RedisSessions::connect(&url, "test:late-save:")
        .await
        .unwrap()
        .store();
    let id = revival::late_save_does_not_recreate(&store).await;
    assert!(!exists(&url, &id.to_string()).await.unwrap());
}

/// `/debug/store` counts the session keys with SCAN, on a Redis of the test's
/// own so that no other test's sessions are counted.
#[tokio::test]
async fn store_stats_count_session_keys() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let app = redis_app(&redis.url(), &["--store-stats"]).await;
    let stats = || async {
        let res = client()
            .get(app.server.url("/debug/store"))
            .send()
            .await
            .unwrap();
        let (code, body) = json(res).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        body
    };
    // A key of another tenant, not shaped like a session id, is not counted.
    set(&redis.url(), "denylist:some-jti", "1").await.unwrap();
    assert_eq!(stats().await["entries"], 0);
    let (_, a) = new_user(&app.server, "stats").await;
    new_user(&app.server, "stats").await;
    let s = stats().await;
    assert_eq!(s["store"], "redis");
    assert_eq!(s["entries"], 2, "{s}");
    assert!(s["bytes"].as_i64().unwrap() > 20, "{s}");
    a.attach(client().post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(stats().await["entries"], 1);
}

/// Polls `GET path` until it answers `want`, for at most `within`.
async fn wait_for(url: String, want: StatusCode, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let res = client().get(&url).send().await.unwrap();
        let (code, body) = json(res).await;
        if code == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{url} still answers {code} after {within:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Redis dies under a running server: requests that need the session answer
/// 503 JSON (fail closed: not 401, not allowed, no panic), /health says which
/// store is down, and the server recovers on its own when Redis is back.
#[tokio::test]
async fn redis_down_fails_closed_and_recovers() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let app = redis_app(&redis.url(), &[]).await;
    let c = client();
    let (email, cred) = new_user(&app.server, "fault").await;
    assert_eq!(
        status(&cred, app.server.url("/protected")).await,
        StatusCode::OK
    );

    redis.kill();

    for path in ["/protected", "/profile", "/admin"] {
        let started = Instant::now();
        let res = cred
            .attach(c.get(app.server.url(path)))
            .send()
            .await
            .unwrap();
        let body = expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
        eprintln!(
            "observed: {path} with Redis down: 503 in {:?}",
            started.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path}: the 503 took {:?}",
            started.elapsed()
        );
        assert!(
            body["message"].as_str().unwrap().contains("session store"),
            "{body}"
        );
    }
    // Logout cannot delete the session: it must not pretend it did.
    let out = cred
        .attach(c.post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    expect_error(out, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let relogin = login(&c, &app.server, &email, PASSWORD).await;
    expect_error(relogin, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    // Registration needs no session, but its per-address count lives in
    // that Redis too: a throttle that cannot count does not let hashing
    // through unbounded (fail closed).
    let other = unique_email("fault");
    let body = expect_error(
        register(&c, &app.server, &other, PASSWORD).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("throttle"),
        "{body}"
    );
    let health = client()
        .get(app.server.url("/health"))
        .send()
        .await
        .unwrap();
    let body = outage::expect_health_down(health, "session_store").await;
    assert_eq!(body["checks"]["database"], "ok", "{body}");

    // Same port, empty Redis: the server reconnects by itself.
    redis.restart().await;
    let back = Instant::now();
    let health = wait_for(
        app.server.url("/health"),
        StatusCode::OK,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(health["checks"]["session_store"], "ok");
    eprintln!(
        "observed: /health back to 200 {:?} after Redis restarted",
        back.elapsed()
    );
    // The session died with that Redis (it kept nothing): now 401 is the truth.
    let res = cred
        .attach(c.get(app.server.url("/protected")))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let fresh = login_credential(&app.server, &email, PASSWORD).await;
    assert_eq!(
        status(&fresh, app.server.url("/protected")).await,
        StatusCode::OK
    );
    assert_eq!(
        register(&c, &app.server, &other, PASSWORD).await.status(),
        StatusCode::CREATED,
        "the refused registration changed nothing, and works now"
    );
}

/// A Redis that does not answer at start stops the start, soon, with a
/// message that says what to do, instead of a server that answers 503 forever.
#[tokio::test]
async fn start_fails_fast_without_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let dir = test_support::data_dir();
    let started = Instant::now();
    let result = try_start_in(
        dir.path(),
        &["--session-store", "redis", "--redis-url", &url],
    )
    .await;
    let Err(err) = result else {
        panic!("started without Redis")
    };
    let message = format!("{err:#}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(message.contains("cannot connect to Redis"), "{message}");
    assert!(message.contains(&url), "{message}");
}
