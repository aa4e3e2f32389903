//! The users' database on each backend the servers accept: the migrations and
//! every query of `UserStore` through sqlx's `Any` driver, against real
//! SQLite, PostgreSQL and MySQL/MariaDB servers (one fresh database per test).
#![allow(clippy::unwrap_used)]

use auth_core::{ApiError, Database, Role, UserStore, validation::Email};
use test_support::databases::{Kind, TestDatabase};

async fn users_table(kind: Kind) {
    let Some(test_db) = TestDatabase::create(kind).await else {
        return;
    };
    let db = Database::connect(test_db.url()).await.unwrap();
    let users = UserStore::new(db.clone());
    assert_eq!(users.count().await.unwrap(), 0, "{kind:?}");

    let email = Email::parse("Ada@Example.com").unwrap();
    let created = users
        .create(&email, "$2b$04$hash", Role::User)
        .await
        .unwrap();
    assert_eq!(created.email, "ada@example.com");
    assert_eq!(created.role, Role::User);
    assert!(
        created.id > 0 && created.created_at > 1_600_000_000,
        "{created:?}"
    );

    // The UNIQUE constraint decides a taken email, on every backend.
    let again = users.create(&email, "$2b$04$other", Role::Admin).await;
    assert!(
        matches!(again, Err(ApiError::EmailTaken)),
        "{kind:?}: {again:?}"
    );

    let by_email = users.by_email("ada@example.com").await.unwrap().unwrap();
    let by_id = users.by_id(created.id).await.unwrap().unwrap();
    assert_eq!(
        (by_email.id, by_id.email.as_str()),
        (created.id, "ada@example.com")
    );
    assert_eq!(by_id.password_hash, "$2b$04$hash");
    assert!(
        users
            .by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(users.by_id(created.id + 1000).await.unwrap().is_none());

    let promoted = users
        .set_role("ada@example.com", Role::Admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(
        users.by_id(created.id).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(
        users
            .set_role("nobody@example.com", Role::Admin)
            .await
            .unwrap()
            .is_none()
    );

    let second = users
        .create(&Email::parse("bob@example.com").unwrap(), "h", Role::User)
        .await
        .unwrap();
    assert!(second.id > created.id);
    assert_eq!(users.count().await.unwrap(), 2);
    db.ping().await.unwrap();

    // A second start finds the migrations applied and the rows kept.
    let reopened = Database::connect(test_db.url()).await.unwrap();
    assert_eq!(UserStore::new(reopened).count().await.unwrap(), 2);
}

/// The refresh-token table (used by jwt-app) takes and gives back its columns
/// through `Any`: BIGINT and INTEGER both read as i64 on every backend.
async fn refresh_tokens_table(kind: Kind) {
    use sqlx::Row;
    let Some(test_db) = TestDatabase::create(kind).await else {
        return;
    };
    let db = Database::connect(test_db.url()).await.unwrap();
    let user = UserStore::new(db.clone())
        .create(&Email::parse("r@example.com").unwrap(), "h", Role::User)
        .await
        .unwrap();
    sqlx::query(&db.sql(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, spent, revoked) VALUES (?, ?, ?, ?, ?, ?)",
    ))
    .bind("a".repeat(64))
    .bind("family")
    .bind(user.id)
    .bind(4_102_444_800_i64)
    .bind(0_i64)
    .bind(1_i32)
    .execute(db.pool())
    .await
    .unwrap();
    let row =
        sqlx::query(&db.sql(
            "SELECT user_id, expires_at, spent, revoked FROM refresh_tokens WHERE family_id = ?",
        ))
        .bind("family")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let get = |i| row.try_get::<i64, _>(i).unwrap();
    assert_eq!(
        (get(0), get(1), get(2), get(3)),
        (user.id, 4_102_444_800, 0, 1),
        "{kind:?}"
    );
    // Deleting the user takes its refresh tokens with it (ON DELETE CASCADE;
    // SQLite needs foreign_keys on, which sqlx enables by default).
    sqlx::query(&db.sql("DELETE FROM users WHERE id = ?"))
        .bind(user.id)
        .execute(db.pool())
        .await
        .unwrap();
    let left = sqlx::query("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(left.try_get::<i64, _>(0).unwrap(), 0, "{kind:?}");
}

macro_rules! on_each_backend {
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

on_each_backend!(users_table, refresh_tokens_table);
