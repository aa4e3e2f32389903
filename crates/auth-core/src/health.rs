use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use futures::future::join_all;
use serde::Serialize;
use utoipa::ToSchema;

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

/// What `/health` answers, up or down.
#[derive(Serialize, ToSchema)]
pub struct HealthReport {
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    pub status: &'static str,
    pub app: &'static str,
    /// Where the app keeps its credentials' state (`memory`, `redis`, …).
    pub store: String,
    /// Each dependency asked, `ok` or `down`.
    pub checks: BTreeMap<String, &'static str>,
    /// `unavailable` when a check is down, as in every error body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// Which checks are down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /health`
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "Every dependency answers", body = HealthReport),
        (status = 503, description = "A dependency is down: which one, never why", body = HealthReport),
    )
)]
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
    let checks: BTreeMap<String, &'static str> = results
        .into_iter()
        .map(|(name, r)| {
            let state = match r {
                Ok(()) => "ok",
                Err(e) => {
                    tracing::warn!(check = name, error = %e, "health check failed");
                    "down"
                }
            };
            (name.to_owned(), state)
        })
        .collect();
    let mut report = HealthReport {
        status: "ok",
        app: health.app,
        store: health.store.clone(),
        checks,
        error: None,
        message: None,
    };
    if failed.is_empty() {
        return (StatusCode::OK, Json(report));
    }
    report.status = "unavailable";
    report.error = Some("unavailable");
    report.message = Some(format!("unreachable: {}", failed.join(", ")));
    (StatusCode::SERVICE_UNAVAILABLE, Json(report))
}
