//! The loops that clear expired entries out of a store that does not expire
//! them itself: the `db` and memory session stores and the refresh-token
//! table ([`every`]); the in-process denylist and throttle counts
//! ([`purge_while_alive`]).

use std::{
    fmt::Display,
    future::Future,
    sync::{Arc, Weak},
    time::Duration,
};

/// Runs `job` every `period` for as long as the runtime lives. A failed run
/// (the store is down) is logged and retried at the next tick instead of
/// ending the loop.
pub fn every<F, Fut, E>(period: Duration, what: &'static str, mut job: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = job().await {
                tracing::warn!(error = %e, "could not delete expired {what}");
            }
        }
    });
}

/// Runs `purge` on an in-process store every `period` for as long as the
/// store lives: the loop holds it weakly, and ends once it is dropped.
pub fn purge_while_alive<T, F>(period: Duration, store: &Arc<T>, purge: F)
where
    T: Send + Sync + 'static,
    F: Fn(&T) + Send + 'static,
{
    let store: Weak<T> = Arc::downgrade(store);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            match store.upgrade() {
                Some(store) => purge(&store),
                None => return,
            }
        }
    });
}
