//! `GET /debug/store`, mounted only with `--store-stats`: how many sessions the
//! store holds and their size, for the compare harness's server-state row.

use axum::{Json, Router, extract::State, routing::get};
use serde_json::{Value, json};

use auth_core::{ApiError, Database};

use crate::store::SessionBackend;

#[derive(Clone)]
struct Stats {
    label: &'static str,
    sessions: SessionBackend,
    db: Database,
}

pub fn router(label: &'static str, sessions: SessionBackend, db: Database) -> Router {
    Router::new()
        .route("/debug/store", get(store_stats))
        .with_state(Stats {
            label,
            sessions,
            db,
        })
}

async fn store_stats(State(s): State<Stats>) -> Result<Json<Value>, ApiError> {
    let (entries, bytes) = s.sessions.stats(&s.db).await?;
    Ok(Json(
        json!({"store": s.label, "entries": entries, "bytes": bytes}),
    ))
}
