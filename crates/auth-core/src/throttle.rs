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
    /// `None` for a browser with the account's device cookie: not counted
    /// towards (nor held to) the per-email cap.
    email: Option<String>,
    address: String,
}

impl Reservation {
    fn counted(&self) -> Vec<String> {
        let mut keys = vec![self.pair.clone(), self.address.clone()];
        keys.extend(self.email.clone());
        keys
    }
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
        self.begin_login_from(email, from, false).await
    }

    /// [`Throttle::begin_login`]; from a `known_device` (a browser holding
    /// this email's device cookie) the per-email cap is left out, so that
    /// strangers spending it cannot lock the owner out. The per-(email,
    /// address) and per-address caps hold for every attempt.
    pub async fn begin_login_from(
        &self,
        email: &Email,
        from: ClientAddr,
        known_device: bool,
    ) -> Result<Reservation, ApiError> {
        let reservation = Reservation {
            pair: format!("pair:{}|{}", client_key(from.0), email.as_str()),
            email: (!known_device).then(|| format!("email:{}", email.as_str())),
            address: address_key("login", from.0),
        };
        let mut keys = vec![
            (reservation.pair.clone(), self.per_pair),
            (reservation.address.clone(), self.per_address),
        ];
        if let Some(email) = &reservation.email {
            keys.push((email.clone(), self.per_email));
        }
        self.reserve(&keys).await?;
        Ok(reservation)
    }

    /// The login was not a failed guess (it succeeded, or a store was down):
    /// its reservation is given back, and a success clears the pair's failures.
    pub async fn succeeded(&self, reservation: Reservation) -> Result<(), ApiError> {
        let mut give_back = vec![reservation.address];
        give_back.extend(reservation.email);
        self.counters.release(&give_back, &[reservation.pair]).await
    }

    /// The attempt failed for another reason than the password (the database
    /// was down): nothing was guessed, so it does not count.
    pub async fn not_a_guess(&self, reservation: Reservation) -> Result<(), ApiError> {
        self.counters.release(&reservation.counted(), &[]).await
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
    format!("{what}:{}", client_key(addr))
}

/// A client address as the throttle counts it: an IPv4 address alone, an
/// IPv6 one by its /64, the block one subscriber usually gets whole (so that
/// walking through its 2^64 addresses is one client, not 2^64).
pub fn client_key(addr: IpAddr) -> String {
    match addr.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = ipnet::Ipv6Net::new(v6, 64).map(|n| n.trunc());
            net.map_or_else(|_| v6.to_string(), |n| n.to_string())
        }
    }
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
                // A count back at zero holds nothing: kept, it would sit in
                // the map until its window closed (a flood of attempts
                // answered 503 busy left one such entry per email and address).
                if *n == 0 {
                    counts.remove(key);
                }
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
    async fn attempts_given_back_leave_no_entries_behind() -> Result<(), ApiError> {
        // Finding 11(c) of issue 21, confirmed: an attempt answered 503 busy
        // (not a guess) left its three keys in the map at count 0 for the
        // whole window.
        let counters = Arc::new(MemoryCounters::default());
        let config = Args::try_parse_from(["test"]).map(|a| a.common);
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        let t = Throttle::new(&config, counters.clone());
        for n in 0..50 {
            let busy = t
                .begin_login(&email(&format!("u{n}@x.io")), addr(n))
                .await?;
            t.not_a_guess(busy).await?;
        }
        assert_eq!(counters.len(), 0, "nothing was guessed, nothing is kept");
        let ok = t.begin_login(&email("a@x.io"), addr(1)).await?;
        t.succeeded(ok).await?;
        assert_eq!(counters.len(), 0, "a success leaves nothing either");
        fail(&t, "a@x.io", addr(1)).await?;
        assert_eq!(
            counters.len(),
            3,
            "a failure counts per pair, email and address"
        );
        Ok(())
    }

    #[tokio::test]
    async fn ipv6_clients_count_per_64_and_a_known_device_skips_the_email_cap() {
        let t = throttle(&[
            "--login-max-failures",
            "2",
            "--login-max-failures-per-email",
            "3",
        ]);
        let v6 = |s: &str| ClientAddr(s.parse().unwrap_or(IpAddr::from([0u8; 16])));
        assert!(fail(&t, "a@x.io", v6("2001:db8:1:2::1")).await.is_ok());
        assert!(fail(&t, "a@x.io", v6("2001:db8:1:2::ffff")).await.is_ok());
        assert!(
            fail(&t, "a@x.io", v6("2001:db8:1:2:dead:beef::9"))
                .await
                .is_err(),
            "another address of the same /64 is the same client"
        );
        assert!(fail(&t, "a@x.io", v6("2001:db8:1:3::1")).await.is_ok());
        assert!(
            fail(&t, "a@x.io", addr(5)).await.is_err(),
            "the email's cap is spent"
        );
        assert!(
            t.begin_login_from(&email("a@x.io"), addr(6), true)
                .await
                .is_ok(),
            "a browser with the account's device cookie is not held to it"
        );
        assert_eq!(
            client_key("::ffff:192.0.2.1".parse().unwrap_or(IpAddr::from([0u8; 4]))),
            "192.0.2.1"
        );
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
