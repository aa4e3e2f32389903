//! The one HTTP client every call to the login server goes through, and
//! where each call is counted ([`Counters::upstream_call`]).
//!
//! Plain HTTP: the login server is reached on loopback or a private network,
//! as the workshop runs it. reqwest's TLS is a cargo feature, and a feature
//! turned on here would be turned on for the harness's and the tests' clients
//! too, in every workspace build; an `https://` URL is refused at start.

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderMap, StatusCode};
use reqwest::Url;

use crate::counters::{Call, Counters};

/// The largest answer read from the login server: a JWK Set or a session's
/// user is well under 1 KiB, and a misdirected URL must not fill memory.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("no answer from {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("{url} answered more than {MAX_ANSWER_BYTES} bytes")]
    TooLarge { url: String },
}

/// A status and a body, read whole (at most [`MAX_ANSWER_BYTES`]).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// Cheap to clone: the client is a handle to one connection pool.
#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
    base: Url,
    counters: Arc<Counters>,
}

impl Upstream {
    /// A client of the login server at `base`, each call given `timeout`
    /// from connecting to the last byte.
    pub fn new(base: Url, timeout: Duration, counters: Arc<Counters>) -> anyhow::Result<Self> {
        if base.scheme() != "http" {
            anyhow::bail!(
                "the login server's URL (JWT_APP_URL or SESSION_APP_URL) is {base}: only http:// \
                 is spoken to it (on loopback or a private network; see docs/architecture.md)"
            );
        }
        let client = reqwest::Client::builder()
            // A login server that redirects is misconfigured; following it
            // would send a session cookie wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            base,
            counters,
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `GET path` on the login server with `headers`, counted as a `call`.
    pub async fn get(
        &self,
        call: Call,
        path: &str,
        headers: HeaderMap,
    ) -> Result<Answer, UpstreamError> {
        // Appended, so that a login server behind a path prefix works too.
        let url = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        self.counters.upstream_call(call);
        let unreachable = |source| UpstreamError::Unreachable {
            url: url.clone(),
            source,
        };
        let mut res = self
            .client
            .get(&url)
            .headers(headers)
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(UpstreamError::TooLarge { url });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }
}
