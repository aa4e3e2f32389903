//! The users' database going away and coming back, on a private PostgreSQL
//! this test starts on a free port (the machine's cluster is shared with
//! every other test and is never stopped). Whatever needs the database
//! answers 503 JSON while it is down (fail closed: never 401, never a token
//! handed out without its refresh record), and works again once it is back,
//! without restarting jwt-app. What needs no database keeps working: with the
//! denylist off, an access token is checked by its signature alone.

use reqwest::StatusCode;
use test_support::{
    PASSWORD, json,
    outage::{self, timed, wait_for_ok},
    postgres_server::PostgresServer,
    unique_email,
};

use crate::helpers::{expect_token_routes_unavailable, spawn_app, token_pair};

/// 503 JSON, as [`outage::expect_unavailable`] checks it, naming the database.
async fn expect_unavailable(what: &str, res: reqwest::Response) -> serde_json::Value {
    outage::expect_unavailable(what, res, "database").await
}

#[tokio::test]
async fn a_database_outage_fails_closed_and_service_resumes_without_restart() {
    let Some(mut pg) = PostgresServer::init().await else {
        return;
    };
    let url = pg.url();
    let app = spawn_app(&["--database-url", &url]).await;
    let (email, tokens) = app.user("pg-down").await;
    assert_eq!(
        app.get("/profile", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );

    pg.stop();

    // The lesson: with the denylist off, verification is stateless. The
    // signature and the claims are all /protected looks at, so it keeps
    // answering while the database is down (and fast: no pool to wait for).
    for _ in 0..2 {
        let res = timed("/protected", app.get("/protected", Some(&tokens.access))).await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK, "stateless /protected: {body}");
        assert_eq!(body["email"], email);
    }
    // /profile reads the user's row: a valid token whose user cannot be
    // looked up is neither served (200) nor called logged out (401). Asked
    // twice: the first request meets the pool's dead connections, the
    // second a fresh connect.
    for _ in 0..2 {
        let res = timed("/profile", app.get("/profile", Some(&tokens.access))).await;
        expect_unavailable("/profile", res).await;
    }
    expect_token_routes_unavailable(&app, &email, &tokens, "database").await;
    let other = unique_email("pg-down");
    let register = test_support::register(&app.client, &app.server, &other, PASSWORD);
    expect_unavailable("/register", timed("/register", register).await).await;

    let res = timed("/health", app.get("/health", None)).await;
    outage::expect_health_down(res, "database").await;

    // Same port, same data: jwt-app reconnects by itself.
    pg.start().await;
    let took = wait_for_ok(app.url("/health"), None).await;
    eprintln!("observed: /health back to 200 {took:?} after PostgreSQL answered again");

    // The same credentials work again: the access token, and the refresh
    // token whose record the database kept.
    assert_eq!(
        app.get("/profile", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    let rotated = token_pair(app.refresh(&tokens.refresh).await).await;
    assert_eq!(
        app.get("/profile", Some(&rotated.access)).await.status(),
        StatusCode::OK
    );
    let fresh = app.login(&email).await;
    assert_eq!(
        app.logout(&fresh.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
}

/// The database is shut down by its operator (`pg_ctl stop -m fast`: a
/// restart, an upgrade, a failover) while a request is in the middle of a
/// query. The server ends that session with FATAL 57P01 "terminating
/// connection due to administrator command": a database error, not an I/O
/// one, and still a store that is down (503), not a bug of ours (500). The
/// rotation it interrupted is rolled back whole: the refresh token still works.
#[tokio::test]
async fn a_query_cut_off_by_a_database_shutdown_answers_503() {
    let Some(mut pg) = PostgresServer::init().await else {
        return;
    };
    let url = pg.url();
    let app = spawn_app(&["--database-url", &url]).await;
    let (_, tokens) = app.user("pg-shutdown").await;

    // Hold /refresh inside its UPDATE: it waits for this lock.
    let lock = pg.lock_table("refresh_tokens").await.unwrap();
    let refresh = {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/refresh"),
            tokens.refresh.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .json(&serde_json::json!({ "refresh_token": token }))
                .send()
                .await
                .unwrap()
        })
    };
    let res = outage::cut_off_by_a_shutdown(&mut pg, "/refresh", refresh).await;
    expect_unavailable("/refresh cut off by a shutdown", res).await;
    drop(lock);

    pg.start().await;
    wait_for_ok(app.url("/health"), None).await;
    let rotated = token_pair(app.refresh(&tokens.refresh).await).await;
    assert_eq!(
        app.get("/profile", Some(&rotated.access)).await.status(),
        StatusCode::OK
    );
}
