//! The refresh-token SQL on PostgreSQL and MariaDB too, not only SQLite: the
//! placeholders differ, and so does how each database serialises the two
//! UPDATEs of a refresh race. Each test gets a database of its own (dropped
//! after); skipped loudly when the server does not answer, except under CI
//! (`.ci/run` starts both), where that fails.

use reqwest::StatusCode;
use test_support::{
    databases::{Kind, TestDatabase},
    expect_error,
};

use crate::{helpers::spawn_app, refresh};

async fn refresh_family_lifecycle(url: &str) {
    let app = spawn_app(&["--database-url", url]).await;
    refresh::replay_revokes_the_family(&app).await;
    refresh::one_winner_of_concurrent_refreshes(&app, 4).await;

    let (_, tokens) = app.user("db-logout").await;
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
    if let Some(db) = TestDatabase::create(Kind::Postgres).await {
        refresh_family_lifecycle(db.url()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_tokens_on_mariadb() {
    if let Some(db) = TestDatabase::create(Kind::MySql).await {
        refresh_family_lifecycle(db.url()).await;
    }
}
