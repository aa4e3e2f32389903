use std::{sync::Arc, time::Duration};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use futures::future::join_all;
use serde_json::{Map, Value, json};

use crate::Database;

/// Something /health asks whether it is reachable.
#[async_trait::async_trait]
pub trait HealthCheck: Send + Sync {
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<(), String>;
}

#[async_trait::async_trait]
impl HealthCheck for Database {
    fn name(&self) -> &'static str {
        "database"
    }
    async fn check(&self) -> Result<(), String> {
        self.ping().await.map_err(|e| e.to_string())
    }
}

/// What /health reports: the app, the store it keeps credentials in, and one
/// line per dependency.
#[derive(Clone)]
pub struct Health {
    app: &'static str,
    store: String,
    checks: Vec<Arc<dyn HealthCheck>>,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Health {
    pub fn new(app: &'static str, store: impl Into<String>) -> Self {
        Self {
            app,
            store: store.into(),
            checks: Vec::new(),
        }
    }

    pub fn with(mut self, check: impl HealthCheck + 'static) -> Self {
        self.checks.push(Arc::new(check));
        self
    }
}

/// `GET /health`
pub async fn health(State(health): State<Health>) -> impl IntoResponse {
    let results = join_all(health.checks.iter().map(|c| async move {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, c.check()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
        };
        (c.name(), outcome)
    }))
    .await;
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(n, _)| *n)
        .collect();
    // The reason goes to the log only: a driver's error text can name hosts,
    // users and ports, and /health answers anyone.
    let checks: Map<String, Value> = results
        .into_iter()
        .map(|(name, r)| {
            let state = match r {
                Ok(()) => "ok",
                Err(e) => {
                    tracing::warn!(check = name, error = %e, "health check failed");
                    "down"
                }
            };
            (name.to_owned(), Value::from(state))
        })
        .collect();
    if failed.is_empty() {
        let body =
            json!({"status": "ok", "app": health.app, "store": health.store, "checks": checks});
        return (StatusCode::OK, Json(body));
    }
    let body = json!({
        "status": "unavailable", "app": health.app, "store": health.store, "checks": checks,
        "error": "unavailable", "message": format!("unreachable: {}", failed.join(", ")),
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}
