//! bcrypt, bounded: at most a few hashes run at once, on the blocking pool,
//! so that a flood of logins cannot take every core from signed-in traffic.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use tokio::sync::Semaphore;

use crate::ApiError;

/// bcrypt at a fixed cost, run on the blocking pool so that a login does not
/// stall every other request on the same runtime thread, and at most
/// `concurrency` at a time: tokio's blocking pool alone would run hundreds.
#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
    /// Verified against when the email is unknown, so that "no such user" and
    /// "wrong password" cost the same time and cannot be told apart.
    dummy_hash: Arc<str>,
}

impl Hasher {
    pub async fn new(cost: u32, concurrency: u32, queue_timeout: Duration) -> anyhow::Result<Self> {
        let dummy = tokio::task::spawn_blocking(move || bcrypt::hash("not-a-real-password", cost))
            .await
            .context("the bcrypt task failed")?
            .context("bcrypt could not hash the password")?;
        Ok(Self {
            cost,
            slots: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            queue_timeout,
            dummy_hash: dummy.into(),
        })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let cost = self.cost;
        let hash = self
            .bounded(move || bcrypt::hash(password, cost))
            .await?
            .context("bcrypt could not hash the password")?;
        Ok(hash)
    }

    /// Checks `password` against `hash`, or against the dummy hash when there is
    /// no user, in which case the answer is always false.
    ///
    /// A wrong password for a hash made at a lower cost than the configured
    /// one (stored before `BCRYPT_COST` was raised) also runs the dummy hash
    /// at the configured cost: otherwise it would answer in a fraction of an
    /// unknown email's time, telling that the account exists. (A right one
    /// pays the difference in the rehash that follows.)
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let cheaper = known && cost_of(&hash).is_some_and(|cost| cost < self.cost);
        let dummy = self.dummy_hash.clone();
        let matches = self
            .bounded(move || {
                let matches = bcrypt::verify(&password, &hash);
                if cheaper && !matches!(matches, Ok(true)) {
                    let _ = bcrypt::verify(&password, &dummy);
                }
                matches
            })
            .await?
            .context("the stored password hash is malformed")?;
        Ok(known && matches)
    }

    /// Whether `hash` was made at another cost than the configured one, so
    /// that a successful login should store a new one.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        cost_of(hash) != Some(self.cost)
    }

    /// Runs `work` on the blocking pool once a slot is free; a request that
    /// would wait longer than the queue timeout is answered 503 `busy`.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::Busy(self.queue_timeout.as_secs().max(1)))?
            .context("the bcrypt slots are closed")?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .context("the bcrypt task failed")?;
        Ok(out)
    }
}

/// The cost a bcrypt hash was made at: `$2b$12$…`, the third field.
fn cost_of(hash: &str) -> Option<u32> {
    hash.split('$').nth(2).and_then(|c| c.parse().ok())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Hasher;
    use crate::ApiError;

    #[tokio::test]
    async fn verifies_only_the_right_password_of_a_known_user() -> Result<(), ApiError> {
        let hasher = Hasher::new(4, 1, Duration::from_secs(5)).await?;
        let hash = hasher.hash("correct horse".into()).await?;
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await?
        );
        assert!(
            !hasher
                .verify("wrong horse".into(), Some(hash.clone()))
                .await?
        );
        assert!(!hasher.verify("not-a-real-password".into(), None).await?);
        assert!(!hasher.needs_rehash(&hash));
        let cheaper = Hasher::new(5, 1, Duration::from_secs(5)).await?;
        assert!(
            cheaper.needs_rehash(&hash),
            "a hash made at cost 4 is redone at 5"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_request_that_would_wait_too_long_is_busy() -> Result<(), ApiError> {
        let hasher = Hasher::new(4, 1, Duration::from_millis(50)).await?;
        let (started, release) = (
            std::sync::Arc::new(tokio::sync::Notify::new()),
            std::sync::Arc::new(std::sync::Barrier::new(2)),
        );
        let (s, r) = (started.clone(), release.clone());
        let holder = hasher.clone();
        let held = tokio::spawn(async move {
            holder
                .bounded(move || {
                    s.notify_one();
                    r.wait();
                })
                .await
        });
        started.notified().await;
        let busy = hasher.hash("correct horse".into()).await;
        assert!(
            matches!(busy, Err(ApiError::Busy(secs)) if secs >= 1),
            "{busy:?}"
        );
        release.wait();
        held.await.map_err(anyhow::Error::from)??;
        hasher.hash("correct horse".into()).await?;
        Ok(())
    }
}
