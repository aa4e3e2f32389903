//! tower-sessions as its documentation shows it, on three of its stores.

use axum::{
    Json, Router,
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer, SessionStore};
use tower_sessions_redis_store::{
    RedisStore,
    fred::prelude::{ClientLike, Config, Pool},
};
use tower_sessions_sqlx_store::{SqliteStore, sqlx::SqlitePool};

use crate::{EMAIL, hello};

/// The same record session-app keeps: who logged in.
#[derive(Serialize, Deserialize)]
struct User {
    id: i64,
    email: String,
}

const KEY: &str = "user";

pub fn memory() -> Router {
    with_store(MemoryStore::default())
}

pub async fn sqlite() -> anyhow::Result<Router> {
    // In memory, one connection: the bench measures the library's work, and
    // a file's fsyncs would only add the disk to it.
    let pool = SqlitePool::connect("sqlite::memory:").await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;
    Ok(with_store(store))
}

pub async fn redis(url: &str) -> anyhow::Result<Router> {
    let pool = Pool::new(Config::from_url(url)?, None, None, None, 4)?;
    pool.connect();
    pool.wait_for_connect().await?;
    Ok(with_store(RedisStore::new(pool)))
}

fn with_store<S: SessionStore + Clone>(store: S) -> Router {
    Router::new()
        .route("/protected", get(protected))
        .route("/login", post(login))
        // `sid`, as session-app names it: the same cookie bytes to parse.
        .layer(
            SessionManagerLayer::new(store)
                .with_name("sid")
                .with_secure(false),
        )
}

async fn login(session: Session) -> Result<Json<Value>, StatusCode> {
    let user = User {
        id: 1,
        email: EMAIL.to_owned(),
    };
    session
        .insert(KEY, user)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    Ok(Json(json!({})))
}

async fn protected(session: Session) -> Result<Json<Value>, StatusCode> {
    match session.get::<User>(KEY).await {
        Ok(Some(user)) => Ok(hello(&user.email)),
        Ok(None) => Err(StatusCode::UNAUTHORIZED),
        Err(_) => Err(StatusCode::SERVICE_UNAVAILABLE),
    }
}
