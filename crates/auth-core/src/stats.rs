//! `GET /debug/store`, mounted only with `--store-stats`: what the app's
//! server-side store holds now, asked of the store itself. The compare
//! harness reads it for its server-state row; it is not for production.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{Json, extract::State};
use futures::future::try_join_all;
use serde_json::{Value, json};

use crate::{ApiError, CommonConfig};

/// `/debug/store` answers anyone without a credential, telling them how many
/// logins the server holds: only a server reached from this machine alone
/// (the local harness) may serve it: a loopback BIND, no TRUST_PROXY and no
/// COOKIE_SECURE (both say a proxy passes others' requests on). It also
/// answers only a loopback `Host` ([`crate::host::loopback_host_only`]).
pub fn refuse_public_bind(config: &CommonConfig) -> anyhow::Result<()> {
    config.local_only(
        config.store_stats,
        "--store-stats (STORE_STATS) serves GET /debug/store, which tells anyone who asks \
         how many logins this server holds",
    )
}

/// Entries a store holds and the bytes they take, as the store counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub entries: i64,
    pub bytes: i64,
}

/// A server-side store that can say what it holds.
#[async_trait::async_trait]
pub trait MeasuredStore: Send + Sync {
    async fn stats(&self) -> Result<StoreStats, ApiError>;
}

/// Writes the app's requests made to its stores since it started, counted by
/// the app where it calls the store (each call that changes what the store
/// holds counts one; the sweeps of expired entries do not count). What a
/// harness reads to see what a request costs the store, not only what the
/// store holds.
#[derive(Debug, Default)]
pub struct Writes(AtomicU64);

impl Writes {
    pub fn record(&self) {
        // A count read between requests: no ordering with other memory needed.
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stores `/debug/store` reports, under the app's store label; their
/// sum is the total.
#[derive(Clone)]
pub struct Measured {
    label: &'static str,
    stores: Vec<(&'static str, Arc<dyn MeasuredStore>)>,
    indexes: Vec<(&'static str, Arc<dyn MeasuredStore>)>,
    writes: Option<Arc<Writes>>,
}

impl Measured {
    pub fn new(label: &'static str, stores: Vec<(&'static str, Arc<dyn MeasuredStore>)>) -> Self {
        Self {
            label,
            stores,
            indexes: Vec::new(),
            writes: None,
        }
    }

    /// Also reports `writes`, the count the app keeps of its store writes.
    pub fn with_writes(mut self, writes: Arc<Writes>) -> Self {
        self.writes = Some(writes);
        self
    }

    /// Also reports `index`, a lookup over the stores' entries (session-app's
    /// per-user index of sessions), under `indexes`: outside the total, which
    /// counts the logins themselves, and there for tests that it stays bounded.
    pub fn with_index(mut self, name: &'static str, index: Arc<dyn MeasuredStore>) -> Self {
        self.indexes.push((name, index));
        self
    }
}

/// `GET /debug/store`
pub async fn store_stats(State(m): State<Measured>) -> Result<Json<Value>, ApiError> {
    let each = try_join_all(m.stores.iter().map(|(_, s)| s.stats())).await?;
    let parts: serde_json::Map<String, Value> = m
        .stores
        .iter()
        .zip(&each)
        .map(|((name, _), s)| {
            (
                (*name).to_owned(),
                json!({"entries": s.entries, "bytes": s.bytes}),
            )
        })
        .collect();
    let entries: i64 = each.iter().map(|s| s.entries).sum();
    let bytes: i64 = each.iter().map(|s| s.bytes).sum();
    let mut body = json!({"store": m.label, "entries": entries, "bytes": bytes, "parts": parts});
    if !m.indexes.is_empty() {
        let counted = try_join_all(m.indexes.iter().map(|(_, s)| s.stats())).await?;
        let indexes: serde_json::Map<String, Value> = m
            .indexes
            .iter()
            .zip(&counted)
            .map(|((name, _), s)| ((*name).to_owned(), json!({"entries": s.entries})))
            .collect();
        body["indexes"] = Value::Object(indexes);
    }
    if let Some(writes) = &m.writes {
        body["writes"] = json!(writes.count());
    }
    Ok(Json(body))
}
