//! The account lifecycle (issue 20) on every session store: the shared rules
//! (`test_support::lifecycle`, where a password change's new session id is
//! checked too), and what only sessions do: the index of each user's
//! sessions stays bounded, and the idle and absolute timeouts.

use std::time::Duration;

use reqwest::StatusCode;
use test_support::{
    PASSWORD, TestServer, client,
    contract::new_user,
    get_with,
    lifecycle::{is_alive, logins},
    lifecycle_suite, login_credential,
    suite::Served,
};

use crate::helpers::{memory, mysql_db, postgres_db, shared_redis, sqlite_db};

lifecycle_suite!(memory, memory);
lifecycle_suite!(sqlite_db, sqlite_db);
lifecycle_suite!(postgres_db, postgres_db);
lifecycle_suite!(mysql_db, mysql_db);
lifecycle_suite!(redis, shared_redis);

/// Entries of the per-user index, as `/debug/store` counts them.
async fn index_entries(server: &TestServer) -> i64 {
    let res = client()
        .get(server.url("/debug/store"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    body["indexes"]["logins"]["entries"]
        .as_i64()
        .unwrap_or_else(|| panic!("no index count in {body}"))
}

/// Polls `check` every 250 ms for up to `limit`; whether it held.
async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Sessions that expire leave no index entries behind, though nobody lists
/// or logs out: the sweep (memory, db) or Redis' own expiry removes them.
/// A logout's entry goes too, at the latest when its session would have
/// expired.
async fn expired_sessions_leave_no_index_entries(app: &impl Served) {
    let server = app.server();
    let before = index_entries(server).await;
    let (email, cred) = new_user(server, "bounded").await;
    login_credential(server, &email, PASSWORD).await;
    assert_eq!(
        index_entries(server).await - before,
        2,
        "one entry per session"
    );
    assert!(is_alive(server, &cred).await);
    let emptied = eventually(Duration::from_secs(15), || async {
        index_entries(server).await == 0
    })
    .await;
    assert!(
        emptied,
        "index entries left: {}",
        index_entries(server).await
    );
    assert!(!is_alive(server, &cred).await, "the session expired");
}

const SHORT_TTL: &[&str] = &["--store-stats", "--session-ttl", "2s"];

#[tokio::test]
async fn memory_index_stays_bounded() {
    if let Some(app) = memory(SHORT_TTL).await {
        expired_sessions_leave_no_index_entries(&app).await;
    }
}

#[tokio::test]
async fn sqlite_db_index_stays_bounded() {
    if let Some(app) = sqlite_db(SHORT_TTL).await {
        expired_sessions_leave_no_index_entries(&app).await;
    }
}

#[tokio::test]
async fn postgres_db_index_stays_bounded() {
    if let Some(app) = postgres_db(SHORT_TTL).await {
        expired_sessions_leave_no_index_entries(&app).await;
    }
}

#[tokio::test]
async fn mysql_db_index_stays_bounded() {
    if let Some(app) = mysql_db(SHORT_TTL).await {
        expired_sessions_leave_no_index_entries(&app).await;
    }
}

#[tokio::test]
async fn redis_index_stays_bounded() {
    if let Some(app) = shared_redis(SHORT_TTL).await {
        expired_sessions_leave_no_index_entries(&app).await;
    }
}

/// SESSION_IDLE_TIMEOUT: a session used more often than its idle timeout
/// lives past it; left alone longer than that, it ends.
#[tokio::test]
async fn an_idle_session_ends_and_an_active_one_lives() {
    let Some(app) = memory(&["--session-idle-timeout", "3s", "--session-ttl", "1h"]).await else {
        return;
    };
    let server = app.server();
    let (_, cred) = new_user(server, "idle").await;
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            get_with(server, &cred, "/protected").await.status(),
            StatusCode::OK,
            "activity slides the idle deadline"
        );
    }
    let listed = logins(server, &cred).await;
    assert_ne!(
        listed[0]["last_used_at"], listed[0]["created_at"],
        "the activity was recorded: {listed:?}"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!is_alive(server, &cred).await, "idle past its timeout");
}

/// SESSION_TTL: however active, a session ends at its absolute lifetime.
#[tokio::test]
async fn an_active_session_ends_at_its_absolute_lifetime() {
    let Some(app) = memory(&["--session-ttl", "3s", "--session-idle-timeout", "1h"]).await else {
        return;
    };
    let server = app.server();
    let (_, cred) = new_user(server, "absolute").await;
    let ended = eventually(Duration::from_secs(10), || async {
        get_with(server, &cred, "/protected").await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(ended, "the session outlived SESSION_TTL");
}

/// The users' database down under sessions that live elsewhere (memory): the
/// routes that end logins need it (the password check, the logins epoch), so
/// they answer 503, end nothing and report nothing ended; once it is back,
/// every login is still there and the old password still holds.
#[tokio::test]
async fn a_database_outage_ends_nothing_and_says_so() {
    let Some(mut pg) = test_support::postgres_server::PostgresServer::init().await else {
        return;
    };
    let url = pg.url();
    let app = crate::helpers::spawn_app(&["--database-url", &url]).await;
    let server = &app.server;
    let (email, me) = new_user(server, "lifecycle-down").await;
    let other = login_credential(server, &email, PASSWORD).await;
    let other_id = logins(server, &me).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    pg.stop();

    let res = test_support::outage::timed(
        "logout-everywhere",
        test_support::lifecycle::logout_everywhere(server, &me, PASSWORD),
    )
    .await;
    test_support::outage::expect_unavailable("logout-everywhere", res, "").await;
    let res = test_support::outage::timed(
        "password",
        test_support::lifecycle::change_password(
            server,
            &me,
            serde_json::json!({"current_password": PASSWORD, "new_password": "another passphrase"}),
        ),
    )
    .await;
    test_support::outage::expect_unavailable("password", res, "").await;
    let res = test_support::outage::timed(
        "end one",
        test_support::lifecycle::end_login(server, &me, &other_id, PASSWORD),
    )
    .await;
    test_support::outage::expect_unavailable("end one", res, "").await;

    pg.start().await;
    test_support::outage::wait_for_ok(server.url("/health"), None).await;
    assert!(is_alive(server, &me).await, "nothing ended");
    assert!(is_alive(server, &other).await, "nothing ended");
    assert_eq!(logins(server, &me).await.len(), 2);
    login_credential(server, &email, PASSWORD).await;
}
