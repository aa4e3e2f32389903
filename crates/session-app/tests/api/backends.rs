//! The shared contract suite and the `db` session store, on each database the
//! server accepts: SQLite, PostgreSQL and MySQL/MariaDB. Every test makes a
//! database of its own on the real server (dropped at the end, also on
//! failure), so they run in parallel.

use reqwest::StatusCode;
use serde_json::Value;
use test_support::{
    client,
    contract::{self, new_user},
    databases::{Kind, TestDatabase},
};

use crate::{
    helpers::{ADMIN, TestApp, spawn_app, start_in},
    store_suite,
};

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
    assert_eq!(entries(&app).await, 0, "{kind:?}");
    store_suite::logout_deletes_the_session(&app.server).await;
    assert_eq!(entries(&app).await, 0, "{kind:?}: the row is gone");
    new_user(&app.server, "db").await;
    assert_eq!(entries(&app).await, 1, "{kind:?}: one row per session");
}

/// Requests in flight during a logout must not write the row back.
async fn in_flight_logout_does_not_revive(kind: Kind) {
    let Some((_db, app)) = app_on(kind, &["--store-stats"]).await else {
        return;
    };
    store_suite::in_flight_logout_does_not_revive(&app.server).await;
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
