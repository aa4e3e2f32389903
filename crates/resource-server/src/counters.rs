//! What the harness reads at `GET /debug/upstream`: how many requests this
//! server let through, and how many calls to the login server that took.
//! The upstream calls are counted by the one client they all go through
//! ([`crate::upstream`]), so none can be left out.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{Json, extract::Request, extract::State, middleware::Next, response::Response};
use serde_json::{Value, json};

use crate::config::Mode;

#[derive(Debug, Default)]
pub struct Counters {
    verified_requests: AtomicU64,
    upstream_calls: AtomicU64,
    jwks_fetches: AtomicU64,
    introspections: AtomicU64,
    introspection_cache_hits: AtomicU64,
}

/// The kinds of call to the login server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `GET /.well-known/jwks.json` of jwt-app.
    Jwks,
    /// `GET /session` of session-app.
    Introspection,
}

impl Counters {
    /// A call is counted when it is sent, whatever comes back (or nothing):
    /// it is load on the login server, or at least an attempt at it.
    pub fn upstream_call(&self, call: Call) {
        self.upstream_calls.fetch_add(1, Ordering::Relaxed);
        let kind = match call {
            Call::Jwks => &self.jwks_fetches,
            Call::Introspection => &self.introspections,
        };
        kind.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cache_hit(&self) {
        self.introspection_cache_hits
            .fetch_add(1, Ordering::Relaxed);
    }

    fn verified(&self) {
        self.verified_requests.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Value {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        json!({
            "verified_requests": read(&self.verified_requests),
            "upstream_calls": read(&self.upstream_calls),
            "jwks_fetches": read(&self.jwks_fetches),
            "introspections": read(&self.introspections),
            "introspection_cache_hits": read(&self.introspection_cache_hits),
        })
    }
}

/// Inside the credential check: a request that gets here was let through.
pub async fn count_verified(
    State(counters): State<Arc<Counters>>,
    req: Request,
    next: Next,
) -> Response {
    counters.verified();
    next.run(req).await
}

/// What `GET /debug/upstream` reports besides the counts.
#[derive(Clone)]
pub struct Report {
    pub counters: Arc<Counters>,
    pub mode: Mode,
    pub login_server: String,
}

/// `GET /debug/upstream`, mounted only with `--upstream-stats` on a loopback BIND.
pub async fn report(State(report): State<Report>) -> Json<Value> {
    let mut body = report.counters.snapshot();
    body["mode"] = json!(report.mode.label());
    body["login_server"] = json!(report.login_server);
    Json(body)
}
