//! Login throttling: after `max` failed logins for one email within `window`,
//! further attempts for that email are refused with 429 until the oldest
//! failure leaves the window.
//!
//! Keyed by the email, not by the client address: an online guesser rotates
//! addresses far more cheaply than accounts. The price is that anyone can
//! lock an account out for one window by failing on purpose; the lockout is
//! short and the account's owner sees why (429, `Retry-After`). Unknown emails
//! are throttled exactly like known ones, so a 429 tells nothing about
//! whether an account exists. The count is per process.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// Past this many tracked emails, entries without a recent failure are dropped.
const PURGE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `max_failures == 0` turns throttling off.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures as usize,
            window,
            failures: Mutex::default(),
        }
    }

    fn failures(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // Every update is a single push or removal: a panicking holder cannot
        // leave the map inconsistent.
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` when `email` has used up its failures: try again after `wait`.
    /// Checked before bcrypt runs, so a locked-out guesser costs no hashing.
    pub fn check(&self, email: &str) -> Result<(), Duration> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut failures = self.failures();
        let Some(times) = failures.get_mut(email) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= self.max_failures => {
                Err(self.window - now.duration_since(*oldest))
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str) {
        if self.max_failures == 0 {
            return;
        }
        let now = Instant::now();
        let mut failures = self.failures();
        if failures.len() > PURGE_ABOVE {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = failures.entry(email.to_owned()).or_default();
        times.push_back(now);
        // Only the newest `max` failures can matter for the next check.
        while times.len() > self.max_failures {
            times.pop_front();
        }
    }

    /// A successful login forgets the email's failures.
    pub fn record_success(&self, email: &str) {
        if self.max_failures > 0 {
            self.failures().remove(email);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_names_the_wait() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(t.check("a@x.io").is_ok());
            t.record_failure("a@x.io");
        }
        let wait = t.check("a@x.io").expect_err("locked after 3 failures");
        assert!(
            wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert!(t.check("b@x.io").is_ok(), "other emails are not affected");
    }

    #[test]
    fn success_resets_and_zero_disables() {
        let t = LoginThrottle::new(2, Duration::from_secs(60));
        t.record_failure("a@x.io");
        t.record_success("a@x.io");
        t.record_failure("a@x.io");
        assert!(
            t.check("a@x.io").is_ok(),
            "the failure before the success no longer counts"
        );
        let off = LoginThrottle::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            off.record_failure("a@x.io");
        }
        assert!(off.check("a@x.io").is_ok());
    }

    #[test]
    fn failures_leave_the_window() {
        let t = LoginThrottle::new(1, Duration::from_millis(50));
        t.record_failure("a@x.io");
        assert!(t.check("a@x.io").is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(t.check("a@x.io").is_ok());
    }
}
