//! The shared contract suite and the `db` session store, on each database the
//! server accepts: SQLite, PostgreSQL and MySQL/MariaDB. Every test makes a
//! database of its own on the real server (dropped at the end, also on
//! failure), so they run in parallel.

use futures::future::join_all;
use reqwest::{StatusCode, header};
use serde_json::Value;
use test_support::{
    client,
    contract::{self, new_user},
    databases::{Kind, TestDatabase},
    expect_error,
};

use crate::helpers::{ADMIN, TestApp, spawn_app, start_in};

/// session-app with users and sessions in a fresh database of `kind`, or
/// `None` when that server is unreachable outside CI (already reported).
async fn app_on(kind: Kind, extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    let db = TestDatabase::create(kind).await?;
    let mut args = vec!["--database-url", db.url(), "--session-store", "db"];
    args.extend_from_slice(extra);
    let app = spawn_app(&args).await;
    Some((db, app))
}

async fn register_rules(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &[]).await else {
        return;
    };
    contract::register_rules(&app.server).await;
}

async fn login_rules(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &[]).await else {
        return;
    };
    contract::login_rules(&app.server).await;
}

async fn protected_rules(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &[]).await else {
        return;
    };
    contract::protected_rules(&app.server).await;
}

async fn admin_rules(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &[]).await else {
        return;
    };
    contract::admin_rules(&app.server, ADMIN).await;
}

async fn routing_rules(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &[]).await else {
        return;
    };
    contract::routing_rules(&app.server, "session-app").await;
}

async fn entries(app: &TestApp) -> i64 {
    let res = client()
        .get(app.server.url("/debug/store"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["entries"].as_i64().unwrap()
}

/// Login writes a row, logout deletes it (asked of the store, not of the
/// cookie), and the deleted session is refused afterwards.
async fn login_and_logout_server_side(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &["--store-stats"]).await else {
        return;
    };
    let c = client();
    assert_eq!(entries(&app).await, 0, "{kind:?}");
    let (email, cred) = new_user(&app.server, "db").await;
    assert_eq!(entries(&app).await, 1, "{kind:?}: one row per session");
    let res = cred
        .attach(c.get(app.server.url("/protected")))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], email, "{kind:?}");

    let out = cred
        .attach(c.post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT, "{kind:?}");
    let removal = out
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(removal.contains("Max-Age=0"), "{kind:?}: {removal}");
    assert_eq!(entries(&app).await, 0, "{kind:?}: the row is gone");
    let replay = cred
        .attach(c.get(app.server.url("/protected")))
        .send()
        .await
        .unwrap();
    expect_error(replay, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Requests on the session still in flight while it is logged out must not
/// write it back (express-session + connect-redis shipped that bug).
async fn in_flight_logout_does_not_revive(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &["--store-stats"]).await else {
        return;
    };
    let c = client();
    let (_, cred) = new_user(&app.server, "race").await;
    let readers = (0..20).map(|_| {
        let req = cred.attach(c.get(app.server.url("/profile")));
        async move { req.send().await.unwrap().status() }
    });
    let logout = async {
        cred.attach(c.post(app.server.url("/logout")))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (statuses, logout_status) = tokio::join!(join_all(readers), logout);
    assert_eq!(logout_status, StatusCode::NO_CONTENT, "{kind:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
        "{kind:?}: {statuses:?}"
    );
    for _ in 0..3 {
        let after = cred
            .attach(c.get(app.server.url("/protected")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            after.status(),
            StatusCode::UNAUTHORIZED,
            "{kind:?}: the session came back"
        );
    }
    assert_eq!(entries(&app).await, 0, "{kind:?}: no row was written back");
}

/// The session lives in the database, not in the process.
async fn sessions_survive_a_restart(kind: Kind) {
    let Some((db, app)) = app_on(kind, &[]).await else {
        return;
    };
    let (email, cred) = new_user(&app.server, "restart").await;
    app.server.stop().await;
    let again = start_in(
        app.dir.path(),
        &["--database-url", db.url(), "--session-store", "db"],
    )
    .await;
    let res = cred
        .attach(client().get(again.url("/profile")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{kind:?}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["email"], email, "{kind:?}");
}

macro_rules! on_each_database {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $test() { super::$test(super::Kind::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $test() { super::$test(super::Kind::Postgres).await })*
        }
        mod mysql {
            $(#[tokio::test] async fn $test() { super::$test(super::Kind::MySql).await })*
        }
    };
}

on_each_database!(
    register_rules,
    login_rules,
    protected_rules,
    admin_rules,
    routing_rules,
    login_and_logout_server_side,
    in_flight_logout_does_not_revive,
    sessions_survive_a_restart,
);
