//! A session that logout deleted stays deleted. A request that loaded the
//! session before the logout and writes it afterwards must not bring it back:
//! express-session + connect-redis shipped that bug, and a store whose `save`
//! is an upsert (tower-sessions-sqlx-store's) has it too. The HTTP in-flight
//! test of store_suite.rs cannot see it, because no session-app handler
//! writes a session after login; these tests write one, at the store and
//! through the session layer session-app wraps its routes in.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use reqwest::header;
use session_app::{SessionBackend, SessionCookie, SessionStoreKind};
use test_support::{
    TestServer, client,
    contract::sid_cookie,
    databases::{Kind, TestDatabase},
    redis::shared_redis_url,
};
use tokio::sync::Barrier;
use tower_sessions::{
    Session, SessionStore,
    cookie::time::{self, OffsetDateTime},
    session::{Id, Record},
};

/// The session store of `kind`; the database, if any, lives as long as the guard.
async fn backend(kind: SessionStoreKind, db: Kind) -> Option<(TestDatabase, SessionBackend)> {
    let guard = TestDatabase::create(db).await?;
    let redis_url = match kind {
        SessionStoreKind::Redis => shared_redis_url().await?,
        _ => String::new(),
    };
    let database = auth_core::Database::connect(guard.url()).await.unwrap();
    let backend = SessionBackend::open(kind, &redis_url, "test:revival:", &database)
        .await
        .unwrap();
    Some((guard, backend))
}

/// At the store: `save` of a record whose row was deleted re-creates nothing,
/// and is not an error (the late request must not turn into a 500).
/// Returns the id of the deleted session, for store-specific checks.
pub async fn late_save_does_not_recreate(store: &impl SessionStore) -> Id {
    let mut record = Record {
        id: Id::default(),
        data: HashMap::from([("user".to_owned(), serde_json::json!({"id": 1}))]),
        expiry_date: OffsetDateTime::now_utc() + time::Duration::minutes(5),
    };
    store.create(&mut record).await.unwrap();
    record
        .data
        .insert("seen".to_owned(), serde_json::json!(true));
    store.save(&record).await.unwrap();
    let loaded = store.load(&record.id).await.unwrap().unwrap();
    assert_eq!(
        loaded.data["seen"], true,
        "a save of a live session updates it"
    );
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(
        store.load(&record.id).await.unwrap().is_none(),
        "a save after the delete brought the session back"
    );
    record.id
}

async fn late_save_on(backend: &SessionBackend) {
    match backend {
        SessionBackend::Memory(s) => late_save_does_not_recreate(s).await,
        SessionBackend::Db(s) => late_save_does_not_recreate(s).await,
        SessionBackend::Redis(s) => late_save_does_not_recreate(&s.store()).await,
    };
}

/// Loads the session, lets the test log it out, then writes to it: what any
/// handler that records something in the session would do.
async fn write_after_pause(State(gate): State<Arc<Barrier>>, session: Session) -> StatusCode {
    let user: Option<i64> = session.get("user").await.unwrap();
    gate.wait().await;
    gate.wait().await;
    session.insert("seen", true).await.unwrap();
    if user.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// Through the session layer over HTTP: a request holding the session while
/// it is logged out writes to it; the old cookie must stay dead.
async fn write_in_flight_during_logout(backend: &SessionBackend) {
    let gate = Arc::new(Barrier::new(2));
    let router = Router::new()
        .route(
            "/login",
            post(|s: Session| async move {
                s.insert("user", 1_i64).await.unwrap();
                StatusCode::OK
            }),
        )
        .route("/write", post(write_after_pause))
        .route(
            "/logout",
            post(|s: Session| async move {
                s.flush().await.unwrap();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/whoami",
            get(|s: Session| async move {
                match s.get::<i64>("user").await.unwrap() {
                    Some(_) => StatusCode::OK,
                    None => StatusCode::UNAUTHORIZED,
                }
            }),
        )
        .with_state(gate.clone());
    let server = TestServer::start(backend.layer(
        router,
        Duration::from_secs(600),
        SessionCookie::default(),
        Default::default(),
    ))
    .await;
    let c = client();
    let login = c.post(server.url("/login")).send().await.unwrap();
    let cookie = sid_cookie(&login).expect("a session cookie");

    let write = c.post(server.url("/write")).header(header::COOKIE, &cookie);
    let writer = tokio::spawn(async move { write.send().await.unwrap().status() });
    gate.wait().await;
    let out = c
        .post(server.url("/logout"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    gate.wait().await;
    assert_eq!(
        writer.await.unwrap(),
        StatusCode::OK,
        "the in-flight request had the session, and its late write is no error"
    );
    let after = c
        .get(server.url("/whoami"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the logged-out session came back"
    );
}

/// `revival!(postgres_db, Db, Postgres)`: both tests on that store.
macro_rules! revival {
    ($($name:ident: $kind:ident on $db:ident),* $(,)?) => {$(
        mod $name {
            use session_app::SessionStoreKind;
            use test_support::databases::Kind;

            #[tokio::test]
            async fn late_save_after_logout_does_not_revive() {
                if let Some((_db, backend)) = super::backend(SessionStoreKind::$kind, Kind::$db).await {
                    super::late_save_on(&backend).await;
                }
            }

            #[tokio::test]
            async fn in_flight_write_after_logout_does_not_revive() {
                if let Some((_db, backend)) = super::backend(SessionStoreKind::$kind, Kind::$db).await {
                    super::write_in_flight_during_logout(&backend).await;
                }
            }
        }
    )*};
}

revival!(
    memory: Memory on Sqlite,
    sqlite_db: Db on Sqlite,
    postgres_db: Db on Postgres,
    mysql_db: Db on MySql,
    redis: Redis on Sqlite,
);
