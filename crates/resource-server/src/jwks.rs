//! jwt-app's public keys as this server knows them: fetched from its JWK Set
//! at start (retried in the background until jwt-app answers; requests get
//! 503 until then), and again when a token names a key not seen yet (jwt-app
//! may have a new one), at most once per `JWKS_REFETCH_INTERVAL` so that
//! tokens with made-up `kid`s cannot turn this server into a flood of
//! fetches. Between fetches, verification asks nobody.

use std::{
    sync::{
        Arc, RwLock, Weak,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use auth_core::{ApiError, HealthCheck};
use axum::http::{HeaderMap, StatusCode};
use jsonwebtoken::DecodingKey;
use jwt_app::{
    Claims, Verification,
    bearer::{AccessTokenVerifier, Refused},
    jwks::{JWKS_PATH, JwksError, VerifyingKeys, verifying_keys},
    verification::InvalidToken,
};
use tokio::{sync::Mutex, time::Instant};

use crate::{
    counters::Call,
    upstream::{Upstream, UpstreamError},
};

/// How often the first fetch is retried while jwt-app does not answer.
pub const START_RETRY: Duration = Duration::from_secs(1);

/// A fetch that gave no keys.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(
        "the login server answers 404 for {JWKS_PATH}: it publishes no key (is jwt-app running \
         with JWT_ALG=HS256? run it with JWT_ALG=EdDSA)"
    )]
    NotPublished,
    #[error("the login server answers {0} for {JWKS_PATH}")]
    Status(StatusCode),
    #[error(transparent)]
    Unusable(#[from] JwksError),
}

pub struct RemoteKeys {
    /// jwt-app's own rules, pinned to EdDSA.
    verification: Verification,
    upstream: Upstream,
    /// `None` until the first fetch succeeds.
    known: RwLock<Option<Arc<VerifyingKeys>>>,
    /// When (Unix seconds) the set in `known` was fetched: a token minted
    /// after that may be signed by a key the set does not hold yet.
    fetched_at: AtomicI64,
    refetch_every: Duration,
    /// When an unknown `kid` last made us fetch; held while that fetch
    /// runs, so that a burst of such tokens waits for one fetch.
    last_refetch: Mutex<Option<Instant>>,
}

impl RemoteKeys {
    /// Fetches the keys once before the server starts serving (with jwt-app
    /// up, the first request finds them); if that fails, goes on without them
    /// and retries in the background: this server may start before jwt-app,
    /// in whichever order `just` users start things. The retry loop ends when
    /// the keys are known, or when they are dropped.
    pub async fn start(
        verification: Verification,
        upstream: Upstream,
        refetch_every: Duration,
    ) -> Arc<Self> {
        let keys = Arc::new(Self {
            verification,
            upstream,
            known: RwLock::new(None),
            fetched_at: AtomicI64::new(0),
            refetch_every,
            last_refetch: Mutex::new(None),
        });
        match keys.fetch().await {
            Ok(count) => keys.known_now(count),
            Err(e) => {
                tracing::warn!(
                    login_server = %keys.upstream.base(),
                    error = %e,
                    "no public keys from the login server yet (retrying every {START_RETRY:?}); \
                     requests get 503 until then"
                );
                tokio::spawn(fetch_until_known(Arc::downgrade(&keys)));
            }
        }
        keys
    }

    fn known_now(&self, count: usize) {
        tracing::info!(
            login_server = %self.upstream.base(),
            keys = count,
            "the login server's public keys are known: tokens are verified here, without asking it"
        );
    }

    fn current(&self) -> Option<Arc<VerifyingKeys>> {
        // A reader that panicked cannot leave a half-written map: the map is
        // replaced whole.
        self.known.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn fetch(&self) -> Result<usize, FetchError> {
        let answer = self
            .upstream
            .get(Call::Jwks, JWKS_PATH, HeaderMap::new())
            .await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(FetchError::NotPublished),
            other => return Err(FetchError::Status(other)),
        }
        let keys = verifying_keys(&answer.body)?;
        let count = keys.len();
        *self.known.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(keys));
        self.fetched_at
            .store(auth_core::unix_now(), Ordering::Relaxed);
        Ok(count)
    }

    /// Whether the set in hand was fetched after a token issued at `iat`
    /// (with the leeway for the two clocks): only then does a `kid` missing
    /// from it say the key is not jwt-app's. A token minted later than the
    /// set may name a key jwt-app made since.
    fn fetched_after(&self, iat: Option<i64>) -> bool {
        let leeway = i64::try_from(self.verification.leeway_secs()).unwrap_or(i64::MAX);
        iat.is_some_and(|iat| self.fetched_at.load(Ordering::Relaxed) > iat.saturating_add(leeway))
    }

    /// The key `kid` names: a known one, or one a refetch just brought. A
    /// `kid` the set lacks is 401 only when the set is known to be newer
    /// than the token (`iat`, read unverified: it only decides between 401
    /// and 503, never lets a token through); when a refetch is not allowed
    /// yet (`JWKS_REFETCH_INTERVAL`) and the set is older than the token, or
    /// the refetch fails, there is no verdict: 503.
    async fn key(&self, kid: &str, iat: Option<i64>) -> Result<Arc<DecodingKey>, Refused> {
        let lookup = || match self.current() {
            Some(keys) => Ok(keys.get(kid).cloned()),
            None => Err(Refused::Unavailable(ApiError::Unavailable(
                "the login server's public keys are not known yet; try again shortly".into(),
            ))),
        };
        if let Some(key) = lookup()? {
            return Ok(key);
        }
        let unknown = || {
            Refused::Invalid(InvalidToken(
                "the token names a key the login server does not publish",
            ))
        };
        let mut last = self.last_refetch.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(key) = lookup()? {
            return Ok(key);
        }
        if last.is_some_and(|at| at.elapsed() < self.refetch_every) {
            if self.fetched_after(iat) {
                return Err(unknown());
            }
            tracing::warn!(
                kid,
                "a token names a key missing from a set older than the token, and the next \
                 refetch is not due yet: 503"
            );
            return Err(Refused::Unavailable(ApiError::Unavailable(
                "the token names a key this server has not fetched yet; try again shortly".into(),
            )));
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(count) => {
                tracing::info!(
                    kid,
                    keys = count,
                    "refetched the login server's keys for an unknown kid"
                );
                lookup()?.ok_or_else(unknown)
            }
            // Whether the key exists cannot be told: no verdict on the token.
            Err(e) => {
                tracing::warn!(kid, error = %e, "could not refetch the login server's keys");
                Err(Refused::Unavailable(ApiError::Unavailable(
                    "the login server's public keys could not be fetched; try again shortly".into(),
                )))
            }
        }
    }
}

async fn fetch_until_known(keys: Weak<RemoteKeys>) {
    let mut failures = 1u32;
    loop {
        tokio::time::sleep(START_RETRY).await;
        let Some(strong) = keys.upgrade() else { return };
        match strong.fetch().await {
            Ok(count) => return strong.known_now(count),
            // Every minute or so: say what it waits for without flooding the log.
            Err(e) if failures.is_multiple_of(60) => tracing::warn!(
                login_server = %strong.upstream.base(),
                error = %e,
                "still no public keys from the login server; requests get 503"
            ),
            Err(_) => {}
        }
        failures += 1;
    }
}

#[async_trait::async_trait]
impl AccessTokenVerifier for RemoteKeys {
    async fn verify(&self, token: &str) -> Result<Claims, Refused> {
        // The algorithm first: a token of another kind makes no lookup, and
        // so no refetch.
        let header = self.verification.header(token)?;
        let kid = header
            .kid
            .ok_or(InvalidToken("the token names no key (kid)"))?;
        // Unverified, and used only to tell "not jwt-app's key" (401) from
        // "not known yet" (503).
        let iat = jsonwebtoken::dangerous::insecure_decode_claims::<IssuedAt>(token)
            .ok()
            .and_then(|claims| claims.iat);
        let key = self.key(&kid, iat).await?;
        Ok(self.verification.verify(token, &key)?)
    }
}

/// The one claim read before the signature is checked.
#[derive(serde::Deserialize)]
struct IssuedAt {
    iat: Option<i64>,
}

/// /health says whether the keys are known; it asks jwt-app nothing (that
/// would be a call to count).
pub struct KeysKnown(pub Arc<RemoteKeys>);

#[async_trait::async_trait]
impl HealthCheck for KeysKnown {
    fn name(&self) -> &'static str {
        "login_server_keys"
    }

    async fn check(&self) -> Result<(), String> {
        match self.0.current() {
            Some(_) => Ok(()),
            None => Err("not fetched yet".into()),
        }
    }
}
