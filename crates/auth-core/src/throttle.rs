//! Login and registration throttling, counted before bcrypt runs.
//!
//! Failed logins are counted per (email, client address) for the lockout,
//! and, with much higher caps, per email and per client address (OWASP ASVS
//! 2.2.1): one guesser is stopped after a few tries, a guesser spreading over
//! many addresses or many emails a little later, and a stranger cannot lock
//! an account's owner out, whose own address has its own count. Every
//! attempt is counted *before* the password is checked, under the same
//! atomic step as the limit check (a reservation), so that parallel guesses
//! cannot all pass the check before any failure is recorded; a successful
//! login gives its reservation back. Registrations are counted per address,
//! since each one costs a hash.
//!
//! Counts are fixed windows: the first attempt of a key opens a window of
//! `LOGIN_WINDOW`, and the key is refused once its count reaches its cap
//! until that window closes. Unknown emails count exactly like known ones,
//! so a 429 says nothing about whether an account exists. The counters live
//! in this process ([`MemoryCounters`]) or, when the app has a Redis, in
//! Redis ([`crate::redis_counters::RedisCounters`]), shared by every instance.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use crate::{ApiError, CommonConfig, client_addr::ClientAddr, validation::Email};

/// Keeps counts per key, each in a window that its first count opens.
#[async_trait::async_trait]
pub trait Counters: Send + Sync {
    /// If every key is below its cap, adds one to each and answers `Ok`; if
    /// any is at its cap, changes nothing and answers the longest wait until
    /// the keys at their caps reopen.
    async fn reserve(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, ApiError>;

    /// Takes one back from each of `give_back` and forgets `forget` entirely.
    async fn release(&self, give_back: &[String], forget: &[String]) -> Result<(), ApiError>;
}

/// The limits and the counters they are kept in.
#[derive(Clone)]
pub struct Throttle {
    counters: Arc<dyn Counters>,
    window: Duration,
    per_pair: u32,
    per_email: u32,
    per_address: u32,
    registrations_per_address: u32,
}

/// A login attempt that was counted as a failure before bcrypt ran.
#[must_use = "a successful login must give its reservation back"]
pub struct Reservation {
    pair: String,
    email: String,
    address: String,
}

impl Throttle {
    pub fn new(config: &CommonConfig, counters: Arc<dyn Counters>) -> Self {
        Self {
            counters,
            window: config.login_window,
            per_pair: config.login_max_failures,
            per_email: config.login_max_failures_per_email,
            per_address: config.login_max_failures_per_address,
            registrations_per_address: config.register_max_per_address,
        }
    }

    /// Counts a login attempt as failed until [`Throttle::succeeded`] says
    /// otherwise, or answers 429 without counting when a limit is reached.
    pub async fn begin_login(
        &self,
        email: &Email,
        from: ClientAddr,
    ) -> Result<Reservation, ApiError> {
        let reservation = Reservation {
            pair: format!("pair:{}|{}", from.0, email.as_str()),
            email: format!("email:{}", email.as_str()),
            address: address_key("login", from.0),
        };
        self.reserve(&[
            (reservation.pair.clone(), self.per_pair),
            (reservation.email.clone(), self.per_email),
            (reservation.address.clone(), self.per_address),
        ])
        .await?;
        Ok(reservation)
    }

    /// The login was not a failed guess (it succeeded, or a store was down):
    /// its reservation is given back, and a success clears the pair's failures.
    pub async fn succeeded(&self, reservation: Reservation) -> Result<(), ApiError> {
        self.counters
            .release(
                &[reservation.email, reservation.address],
                &[reservation.pair],
            )
            .await
    }

    /// The attempt failed for another reason than the password (the database
    /// was down): nothing was guessed, so it does not count.
    pub async fn not_a_guess(&self, reservation: Reservation) -> Result<(), ApiError> {
        self.counters
            .release(
                &[reservation.pair, reservation.email, reservation.address],
                &[],
            )
            .await
    }

    /// Counts a registration from `from`, or answers 429.
    pub async fn begin_registration(&self, from: ClientAddr) -> Result<(), ApiError> {
        self.reserve(&[(
            address_key("register", from.0),
            self.registrations_per_address,
        )])
        .await
    }

    async fn reserve(&self, keys: &[(String, u32)]) -> Result<(), ApiError> {
        // A cap of 0 is no limit: such a key is not counted at all.
        let keys: Vec<(String, u32)> = keys.iter().filter(|(_, cap)| *cap > 0).cloned().collect();
        if keys.is_empty() {
            return Ok(());
        }
        match self.counters.reserve(&keys, self.window).await? {
            None => Ok(()),
            // Round up: a client that waits exactly `Retry-After` must get in.
            Some(wait) => Err(ApiError::TooManyAttempts(wait.as_secs() + 1)),
        }
    }
}

fn address_key(what: &str, addr: IpAddr) -> String {
    format!("{what}:{addr}")
}

/// Counters in this process, purged of closed windows on a timer (not on
/// every attempt, which would walk the whole map under the lock).
#[derive(Default)]
pub struct MemoryCounters {
    counts: Mutex<HashMap<String, (u32, Instant)>>,
}

impl MemoryCounters {
    /// A map purged every `window`.
    pub fn swept(window: Duration) -> Arc<Self> {
        let counters = Arc::new(Self::default());
        crate::sweep::purge_while_alive(window, &counters, |c| c.purge(Instant::now()));
        counters
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        // Every update is a single insert, change or removal: a panicking
        // holder cannot leave the map inconsistent.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn purge(&self, now: Instant) {
        self.counts().retain(|_, (_, closes)| *closes > now);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts().len()
    }
}

#[async_trait::async_trait]
impl Counters for MemoryCounters {
    async fn reserve(
        &self,
        keys: &[(String, u32)],
        window: Duration,
    ) -> Result<Option<Duration>, ApiError> {
        let now = Instant::now();
        let mut counts = self.counts();
        let wait = keys
            .iter()
            .filter_map(|(key, cap)| match counts.get(key) {
                Some((n, closes)) if *closes > now && n >= cap => Some(*closes - now),
                _ => None,
            })
            .max();
        if wait.is_some() {
            return Ok(wait);
        }
        for (key, _) in keys {
            let entry = counts.entry(key.clone()).or_insert((0, now + window));
            if entry.1 <= now {
                *entry = (0, now + window);
            }
            entry.0 += 1;
        }
        Ok(None)
    }

    async fn release(&self, give_back: &[String], forget: &[String]) -> Result<(), ApiError> {
        let mut counts = self.counts();
        for key in give_back {
            if let Some((n, _)) = counts.get_mut(key) {
                *n = n.saturating_sub(1);
            }
        }
        for key in forget {
            counts.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        common: CommonConfig,
    }

    fn throttle(args: &[&str]) -> Throttle {
        let argv = ["test"].iter().chain(args);
        let config = Args::try_parse_from(argv).map(|a| a.common);
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        Throttle::new(&config, Arc::new(MemoryCounters::default()))
    }

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn addr(last: u8) -> ClientAddr {
        ClientAddr(IpAddr::from([192, 0, 2, last]))
    }

    async fn fail(t: &Throttle, e: &str, from: ClientAddr) -> Result<(), ApiError> {
        t.begin_login(&email(e), from).await.map(drop)
    }

    #[tokio::test]
    async fn the_pair_locks_after_max_failures_and_names_the_wait() {
        let t = throttle(&["--login-max-failures", "3", "--login-window", "60s"]);
        for _ in 0..3 {
            assert!(fail(&t, "a@x.io", addr(1)).await.is_ok());
        }
        match fail(&t, "a@x.io", addr(1)).await {
            Err(ApiError::TooManyAttempts(secs)) => assert!((56..=61).contains(&secs), "{secs}"),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            fail(&t, "a@x.io", addr(2)).await.is_ok(),
            "the owner's own address is not locked out by a stranger's failures"
        );
        assert!(fail(&t, "b@x.io", addr(1)).await.is_ok());
    }

    #[tokio::test]
    async fn email_and_address_have_their_own_higher_caps() {
        let t = throttle(&[
            "--login-max-failures",
            "2",
            "--login-max-failures-per-email",
            "4",
            "--login-max-failures-per-address",
            "5",
        ]);
        for from in 1..=4 {
            assert!(fail(&t, "a@x.io", addr(from)).await.is_ok());
        }
        assert!(
            fail(&t, "a@x.io", addr(9)).await.is_err(),
            "the email's cap holds across addresses"
        );
        for n in 0..5 {
            assert!(fail(&t, &format!("u{n}@x.io"), addr(7)).await.is_ok());
        }
        assert!(
            fail(&t, "fresh@x.io", addr(7)).await.is_err(),
            "the address' cap holds across emails"
        );
    }

    #[tokio::test]
    async fn success_gives_the_reservation_back_and_zero_disables() -> Result<(), ApiError> {
        let t = throttle(&["--login-max-failures", "2"]);
        fail(&t, "a@x.io", addr(1)).await?;
        let ok = t.begin_login(&email("a@x.io"), addr(1)).await?;
        t.succeeded(ok).await?;
        fail(&t, "a@x.io", addr(1)).await?;
        assert!(
            fail(&t, "a@x.io", addr(1)).await.is_ok(),
            "the failure before the success no longer counts"
        );
        let off = throttle(&[
            "--login-max-failures",
            "0",
            "--login-max-failures-per-email",
            "0",
            "--login-max-failures-per-address",
            "0",
        ]);
        for _ in 0..200 {
            fail(&off, "a@x.io", addr(1)).await?;
        }
        Ok(())
    }

    #[tokio::test]
    async fn windows_close_and_the_sweep_forgets_them() {
        let counters = MemoryCounters::default();
        let window = Duration::from_millis(50);
        let key = [("k".to_owned(), 1)];
        assert_eq!(counters.reserve(&key, window).await.ok(), Some(None));
        assert!(matches!(counters.reserve(&key, window).await, Ok(Some(_))));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(counters.reserve(&key, window).await.ok(), Some(None));
        counters.purge(Instant::now() + window);
        assert_eq!(counters.len(), 0);
    }
}
