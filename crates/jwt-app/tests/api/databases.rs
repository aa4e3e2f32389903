//! The refresh-token SQL on PostgreSQL and MariaDB too, not only SQLite: the
//! placeholders differ, and so does how each database serialises the two
//! UPDATEs of a refresh race. Skipped when the server does not answer, except
//! under CI (`.ci/run` starts both).

use reqwest::StatusCode;
use test_support::{expect_error, in_ci};

use crate::helpers::{spawn_app, token_pair};

/// The URL from `var`, else `default` if something listens on `port`.
async fn database_url(var: &str, default: &str, port: u16) -> Option<String> {
    if let Ok(url) = std::env::var(var) {
        return Some(url);
    }
    if tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        return Some(default.to_owned());
    }
    assert!(
        !in_ci(),
        "{var} is unset and nothing listens on port {port}"
    );
    eprintln!("skipped: set {var} or start the server on port {port}");
    None
}

async fn refresh_family_lifecycle(url: &str) {
    let app = spawn_app(&["--database-url", url]).await;
    let (email, first) = app.user("db-family").await;

    let second = token_pair(app.refresh(&first.refresh).await).await;
    expect_error(
        app.refresh(&first.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    expect_error(
        app.refresh(&second.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;

    for round in 0..4 {
        let tokens = app.login(&email).await;
        let (a, b) = tokio::join!(app.refresh(&tokens.refresh), app.refresh(&tokens.refresh));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNAUTHORIZED],
            "{url} round {round}"
        );
    }

    let tokens = app.login(&email).await;
    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        app.refresh(&tokens.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_tokens_on_postgres() {
    let default = "postgres://postgres@127.0.0.1:5432/test";
    if let Some(url) = database_url("TEST_POSTGRES_URL", default, 5432).await {
        refresh_family_lifecycle(&url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_tokens_on_mariadb() {
    let default = "mysql://root@127.0.0.1:3306/test";
    if let Some(url) = database_url("TEST_MYSQL_URL", default, 3306).await {
        refresh_family_lifecycle(&url).await;
    }
}
