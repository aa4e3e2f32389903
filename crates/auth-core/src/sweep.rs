//! The one loop that clears expired rows out of a store that does not expire
//! them itself (the `db` and memory session stores, the refresh-token table).

use std::{fmt::Display, future::Future, time::Duration};

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
