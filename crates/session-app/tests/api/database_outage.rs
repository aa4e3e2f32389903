//! The users' database going away and coming back, on a private PostgreSQL
//! this test starts on a free port (the machine's cluster is shared with
//! every other test and is never stopped). With `--session-store db` the
//! sessions live there too, so every request that needs a login needs the
//! database: while it is down, those answer 503 JSON (fail closed: never 401,
//! which would say "logged out", never 200), and once it is back the same
//! cookie works again without restarting the server.

use reqwest::{Response, StatusCode};
use test_support::{
    PASSWORD, client,
    contract::{Credential, login_credential, new_user},
    json, login,
    outage::{self, timed, wait_for_ok},
    postgres_server::PostgresServer,
    register, unique_email,
};

use crate::helpers::{TestApp, spawn_app};

/// 503 JSON, as [`outage::expect_unavailable`] checks it (any store named).
async fn expect_unavailable(what: &str, res: reqwest::Response) -> serde_json::Value {
    outage::expect_unavailable(what, res, "").await
}

async fn get(cred: &Credential, url: String) -> Response {
    cred.attach(client().get(url)).send().await.unwrap()
}

#[tokio::test]
async fn a_database_outage_fails_closed_and_service_resumes_without_restart() {
    let Some(mut pg) = PostgresServer::init().await else {
        return;
    };
    let url = pg.url();
    let app: TestApp = spawn_app(&["--database-url", &url, "--session-store", "db"]).await;
    let c = client();
    let (email, cred) = new_user(&app.server, "pg-down").await;
    for path in ["/protected", "/profile"] {
        assert_eq!(
            get(&cred, app.server.url(path)).await.status(),
            StatusCode::OK
        );
    }

    pg.stop();

    // The session is in the database: it cannot be read, so the request is
    // neither let through nor told it is logged out. Asked twice: the first
    // request meets the pool's dead connections, the second a fresh connect.
    for path in ["/protected", "/profile", "/protected", "/admin"] {
        let res = timed(path, get(&cred, app.server.url(path))).await;
        let body = expect_unavailable(path, res).await;
        assert!(
            body["message"].as_str().unwrap().contains("store"),
            "{path} names the store that is down: {body}"
        );
    }
    // Logout cannot delete the session: it must not pretend it did.
    let logout = cred.attach(c.post(app.server.url("/logout"))).send();
    expect_unavailable(
        "/logout",
        timed("/logout", async { logout.await.unwrap() }).await,
    )
    .await;
    // Login and register need the users' table.
    let relogin = timed("/login", login(&c, &app.server, &email, PASSWORD)).await;
    let body = expect_unavailable("/login", relogin).await;
    assert!(
        body["message"].as_str().unwrap().contains("database"),
        "{body}"
    );
    let other = unique_email("pg-down");
    let reg = timed("/register", register(&c, &app.server, &other, PASSWORD)).await;
    expect_unavailable("/register", reg).await;
    // Without a credential no store is asked: the ordinary 401.
    let anonymous = client()
        .get(app.server.url("/protected"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let health = timed("/health", async {
        c.get(app.server.url("/health")).send().await.unwrap()
    })
    .await;
    outage::expect_health_down(health, "database").await;

    // Same port, same data: the server reconnects by itself.
    pg.start().await;
    let took = wait_for_ok(app.server.url("/health"), None).await;
    eprintln!("observed: /health back to 200 {took:?} after PostgreSQL answered again");
    // The session was kept in the database: the same cookie works again.
    let took = wait_for_ok(app.server.url("/protected"), Some(&cred)).await;
    eprintln!("observed: /protected with the old cookie 200 {took:?} after /health");
    let (status, body) = json(get(&cred, app.server.url("/profile")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], email);
    let fresh = login_credential(&app.server, &email, PASSWORD).await;
    assert_eq!(
        get(&fresh, app.server.url("/protected")).await.status(),
        StatusCode::OK
    );
    let out = cred
        .attach(c.post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get(&cred, app.server.url("/protected")).await.status(),
        StatusCode::UNAUTHORIZED,
        "logged out for real once the database is back"
    );
}

/// The database is shut down by its operator (`pg_ctl stop -m fast`: a
/// restart, an upgrade, a failover) while a request is in the middle of a
/// query. The server ends that session with FATAL 57P01 "terminating
/// connection due to administrator command": a database error, not an I/O
/// one, and still a store that is down (503), not a bug of ours (500).
#[tokio::test]
async fn a_query_cut_off_by_a_database_shutdown_answers_503() {
    let Some(mut pg) = PostgresServer::init().await else {
        return;
    };
    let url = pg.url();
    let app = spawn_app(&["--database-url", &url, "--session-store", "db"]).await;
    let (email, cred) = new_user(&app.server, "pg-shutdown").await;

    // The session loads (another table); /profile then waits for this lock
    // in its read of the user's row.
    let lock = pg.lock_table("users").await.unwrap();
    let profile = {
        let req = cred.attach(client().get(app.server.url("/profile")));
        tokio::spawn(async move { req.send().await.unwrap() })
    };
    let res = outage::cut_off_by_a_shutdown(&mut pg, "/profile", profile).await;
    let body = expect_unavailable("/profile cut off by a shutdown", res).await;
    assert!(
        body["message"].as_str().unwrap().contains("database"),
        "{body}"
    );
    drop(lock);

    pg.start().await;
    wait_for_ok(app.server.url("/health"), None).await;
    let (status, body) = json(get(&cred, app.server.url("/profile")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], email);
}

/// Another process holds the SQLite file's write lock past the busy timeout
/// (5 s): the registration is answered 503, not 500, and works once the
/// lock is gone.
#[tokio::test]
async fn sqlite_locked_by_another_writer_answers_503() {
    use sqlx::{Connection, SqliteConnection};
    let app = spawn_app(&[]).await;
    let file = app.dir.path().join("auth.db");
    let mut other = SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let c = client();
    let res = register(&c, &app.server, &unique_email("locked"), PASSWORD).await;
    expect_unavailable("/register with the file locked", res).await;
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let res = register(&c, &app.server, &unique_email("unlocked"), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}
