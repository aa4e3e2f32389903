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
    assert_eq!(promoted.user.role, Role::Admin);
    assert_eq!(promoted.before, Role::User);
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

/// Demoting the last admin is refused (409 `last_admin`), on every backend;
/// with two admins, one may demote the other.
async fn the_last_admin_stays(kind: Kind) {
    let Some(test_db) = TestDatabase::create(kind).await else {
        return;
    };
    let users = UserStore::new(Database::connect(test_db.url()).await.unwrap());
    for email in ["a@example.com", "b@example.com"] {
        users
            .create(&Email::parse(email).unwrap(), "h", Role::Admin)
            .await
            .unwrap();
    }
    let demoted = users.set_role("b@example.com", Role::User).await.unwrap();
    assert_eq!(
        demoted.map(|c| (c.before, c.user.role)),
        Some((Role::Admin, Role::User)),
        "{kind:?}"
    );
    let last = users.set_role("a@example.com", Role::User).await;
    assert!(
        matches!(last, Err(ApiError::LastAdmin)),
        "{kind:?}: {last:?}"
    );
    let still = users.by_email("a@example.com").await.unwrap().unwrap();
    assert_eq!(
        still.role,
        Role::Admin,
        "{kind:?}: the refusal changed nothing"
    );
}

/// Emails are compared byte for byte by the database too: MariaDB's default
/// collation would find `ADA@…` or `ädä@…` for `ada@…`.
async fn emails_compare_byte_for_byte(kind: Kind) {
    let Some(test_db) = TestDatabase::create(kind).await else {
        return;
    };
    let users = UserStore::new(Database::connect(test_db.url()).await.unwrap());
    users
        .create(&Email::parse("ada@example.com").unwrap(), "h", Role::User)
        .await
        .unwrap();
    // (Trailing spaces are left out: MariaDB's `_bin` collations pad, and an
    // `Email` never carries one.)
    for other in ["\u{e4}d\u{e4}@example.com", "ADA@example.com"] {
        assert!(
            users.by_email(other).await.unwrap().is_none(),
            "{kind:?}: {other:?} found ada"
        );
    }
    // So two spellings the code keeps apart are two accounts here too.
    users
        .create(
            &Email::parse("\u{e4}d\u{e4}@example.com").unwrap(),
            "h",
            Role::User,
        )
        .await
        .unwrap();
}

/// A password stored at another cost than BCRYPT_COST is stored again at
/// that cost by the next successful login.
async fn login_rehashes_at_the_configured_cost(kind: Kind) {
    use auth_core::{Accounts, client_addr::ClientAddr, validation::LoginAttempt};
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        common: auth_core::CommonConfig,
    }
    let Some(test_db) = TestDatabase::create(kind).await else {
        return;
    };
    let accounts = |cost: &str| {
        let args = Args::try_parse_from([
            "test",
            "--database-url",
            test_db.url(),
            "--bcrypt-cost",
            cost,
        ])
        .unwrap();
        async move { Accounts::open(&args.common).await.unwrap() }
    };
    let from = ClientAddr("127.0.0.1".parse().unwrap());
    let email = Email::parse("cost@example.com").unwrap();
    let old = accounts("4").await;
    let hash = old.hasher.hash("correct horse".into()).await.unwrap();
    old.users.create(&email, &hash, Role::User).await.unwrap();
    let new = accounts("5").await;
    let attempt = || LoginAttempt {
        email: email.clone(),
        password: "correct horse".into(),
    };
    new.authenticate(attempt(), from).await.unwrap();
    let stored = new.users.by_email(email.as_str()).await.unwrap().unwrap();
    assert!(
        stored.password_hash.starts_with("$2b$05$"),
        "{kind:?}: {}",
        stored.password_hash
    );
    new.authenticate(attempt(), from).await.unwrap();
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

on_each_backend!(
    users_table,
    refresh_tokens_table,
    the_last_admin_stays,
    emails_compare_byte_for_byte,
    login_rehashes_at_the_configured_cost,
);
