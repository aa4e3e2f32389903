//! What a restart keeps: a session lives as long as the store that holds it.

use reqwest::StatusCode;
use serde_json::Value;
use test_support::{
    client,
    contract::new_user,
    databases::{Kind, TestDatabase},
    json,
};

use crate::helpers::{spawn_app, start_in};

/// Logs a user in, restarts the server with `args` on the same data folder,
/// and replays the cookie: the email and what `/profile` answered.
async fn profile_after_restart(args: &[&str]) -> (String, StatusCode, Value) {
    let app = spawn_app(args).await;
    let (email, cred) = new_user(&app.server, "restart").await;
    app.server.stop().await;
    let again = start_in(app.dir.path(), args).await;
    let res = cred
        .attach(client().get(again.url("/profile")))
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    (email, status, body)
}

async fn assert_survives(args: &[&str]) {
    let (email, status, body) = profile_after_restart(args).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], email);
}

/// The `db` store on a fresh database of `kind` (skipped when its server is
/// missing outside CI).
async fn db_sessions_survive(kind: Kind) {
    let Some(db) = TestDatabase::create(kind).await else {
        return;
    };
    assert_survives(&["--database-url", db.url(), "--session-store", "db"]).await;
}

#[tokio::test]
async fn memory_sessions_die_with_the_process() {
    let (_, status, body) = profile_after_restart(&["--session-store", "memory"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn sqlite_db_sessions_survive() {
    assert_survives(&["--session-store", "db"]).await;
}

#[tokio::test]
async fn postgres_db_sessions_survive() {
    db_sessions_survive(Kind::Postgres).await;
}

#[tokio::test]
async fn mysql_db_sessions_survive() {
    db_sessions_survive(Kind::MySql).await;
}
