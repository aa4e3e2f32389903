//! What every session store must do, as one suite instantiated per store
//! (`store_suite::postgres_db::in_flight_logout_does_not_revive`). Each rule
//! asks the store itself, through `/debug/store`, not only the cookie, which
//! needs a store of the test's own: Redis, shared with every test, runs the
//! in-flight rule in redis.rs and looks at its key there.

use futures::future::join_all;
use reqwest::{StatusCode, header};
use test_support::{
    TestServer, client,
    contract::{Credential, new_user},
    expect_error,
};

use crate::helpers::{memory, mysql_db, postgres_db, spawn_app, sqlite_db, try_start_in};

/// Sessions the store holds now, asked of the store.
async fn stats(server: &TestServer) -> serde_json::Value {
    let res = client()
        .get(server.url("/debug/store"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn assert_entries(server: &TestServer, want: i64, what: &str) {
    let stats = stats(server).await;
    assert_eq!(stats["entries"], want, "{what}: {stats}");
}

/// Logout deletes the session on the server: the cookie is cleared, and the
/// old cookie replayed (a client that kept it, or a thief who copied it) is refused.
async fn logout_deletes_the_session(server: &TestServer) {
    let c = client();
    let (_, cred) = new_user(server, "out").await;
    let res = cred
        .attach(c.post(server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let removal = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        removal.starts_with("sid=") && removal.contains("Max-Age=0"),
        "cookie cleared: {removal}"
    );
    let replay = cred
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .unwrap();
    expect_error(replay, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = cred
        .attach(c.post(server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

/// Requests on the session still in flight while it is logged out must not
/// write it back (express-session + connect-redis shipped that bug). Returns
/// the dead credential, for store-specific checks.
pub async fn in_flight_logout_does_not_revive(server: &TestServer) -> Credential {
    let c = client();
    let (_, cred) = new_user(server, "race").await;
    assert!(
        matches!(cred, Credential::Cookie(_)),
        "session-app hands out a cookie"
    );
    let readers = (0..20).map(|_| {
        let req = cred.attach(c.get(server.url("/profile")));
        async move { req.send().await.unwrap().status() }
    });
    let logout = async {
        cred.attach(c.post(server.url("/logout")))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (statuses, logout_status) = tokio::join!(join_all(readers), logout);
    assert_eq!(logout_status, StatusCode::NO_CONTENT);
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    for _ in 0..3 {
        let after = cred
            .attach(c.get(server.url("/protected")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            after.status(),
            StatusCode::UNAUTHORIZED,
            "the session came back"
        );
    }
    cred
}

/// One entry per logged-in user, none after logout, with the bytes of each.
async fn store_stats_count_live_sessions(server: &TestServer) {
    assert_entries(server, 0, "a new store").await;
    let (_, a) = new_user(server, "stats").await;
    new_user(server, "stats").await;
    let s = stats(server).await;
    assert_eq!(s["entries"], 2, "{s}");
    assert!(s["bytes"].as_i64().unwrap() > 20, "{s}");
    a.attach(client().post(server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_entries(server, 1, "after one logout").await;
}

/// The session layer's writes, as `/debug/store` counts them.
async fn writes(server: &TestServer) -> u64 {
    let s = stats(server).await;
    s["writes"]
        .as_u64()
        .unwrap_or_else(|| panic!("no writes in {s}"))
}

/// Activity slides the idle deadline with a store write at most once per
/// `touch_every` (3 s for an idle timeout of 12 s), never once per request:
/// 20 requests in a row after a login write nothing, the first one past the
/// interval writes once, the 20 after it nothing again.
async fn requests_write_the_session_once_per_touch(server: &TestServer) {
    let (_, cred) = new_user(server, "writes").await;
    let after_login = writes(server).await;
    assert!(after_login >= 1, "a login writes its session");
    let twenty = async || {
        for _ in 0..20 {
            let res = cred
                .attach(client().get(server.url("/protected")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    twenty().await;
    assert_eq!(writes(server).await, after_login, "no write per request");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    twenty().await;
    assert_eq!(
        writes(server).await,
        after_login + 1,
        "one slide of the idle deadline"
    );
}

/// `store_suite!(postgres_db)` makes a module `postgres_db` with one test per
/// rule; `postgres_db(&extra_args)`, in scope here, starts the app on that
/// store, or gives `None` when its server is missing outside CI.
macro_rules! store_suite {
    ($($store:ident),* $(,)?) => {$(
        mod $store {
            use test_support::suite::Served;

            const STATS: &[&str] = &["--store-stats"];

            #[tokio::test]
            async fn logout_deletes_the_session() {
                if let Some(app) = super::$store(STATS).await {
                    super::logout_deletes_the_session(app.server()).await;
                    super::assert_entries(app.server(), 0, "logout deleted it").await;
                }
            }

            #[tokio::test]
            async fn in_flight_logout_does_not_revive() {
                if let Some(app) = super::$store(STATS).await {
                    super::in_flight_logout_does_not_revive(app.server()).await;
                    super::assert_entries(app.server(), 0, "nothing was written back").await;
                }
            }

            #[tokio::test]
            async fn requests_write_the_session_once_per_touch() {
                let args = ["--store-stats", "--session-idle-timeout", "12s"];
                if let Some(app) = super::$store(&args).await {
                    super::requests_write_the_session_once_per_touch(app.server()).await;
                }
            }

            #[tokio::test]
            async fn store_stats_count_live_sessions() {
                if let Some(app) = super::$store(STATS).await {
                    super::store_stats_count_live_sessions(app.server()).await;
                }
            }
        }
    )*};
}

store_suite!(memory, sqlite_db, postgres_db, mysql_db);

/// The counts are for the compare harness: off unless asked for.
#[tokio::test]
async fn store_stats_are_off_by_default() {
    let app = spawn_app(&[]).await;
    let res = client()
        .get(app.server.url("/debug/store"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// `/debug/store` tells anyone who asks how many sessions the server holds:
/// a server that others can reach refuses to start with it.
#[tokio::test]
async fn store_stats_refuse_a_public_bind() {
    let dir = test_support::data_dir();
    for bind in ["0.0.0.0", "::"] {
        let started = try_start_in(dir.path(), &["--store-stats", "--bind", bind]).await;
        let Err(e) = started else {
            panic!("--store-stats started on BIND {bind}");
        };
        let message = format!("{e:#}");
        assert!(
            message.contains("/debug/store") && message.contains("loopback"),
            "the refusal says why: {message}"
        );
    }
    // Loopback is where the compare harness runs it.
    try_start_in(dir.path(), &["--store-stats", "--bind", "127.0.0.1"])
        .await
        .unwrap();
}
