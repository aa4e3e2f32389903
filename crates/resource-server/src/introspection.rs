//! Session mode: a session id means nothing here, so every request asks
//! session-app whom its cookie belongs to (`GET /session`), once. With
//! `INTROSPECTION_CACHE_TTL` an answer is reused for that long: fewer calls,
//! and a logout or a demotion reaches this server up to that much later.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use auth_core::{ApiError, Principal, Role};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tokio::time::Instant;

use crate::{
    counters::{Call, Counters},
    upstream::Upstream,
};

/// Session ids are 22 characters; a cookie pair this long is no session of
/// session-app's and is not sent on.
pub const MAX_SESSION_COOKIE_BYTES: usize = 1024;

/// What session-app's `GET /session` answers (its other fields unused here).
#[derive(Debug, Deserialize)]
struct SessionAnswer {
    id: i64,
    email: String,
    role: Role,
    expires_in: i64,
}

pub struct Introspection {
    upstream: Upstream,
    counters: Arc<Counters>,
    cache: Option<Arc<AnswerCache>>,
}

impl Introspection {
    /// `cache_ttl` zero: every request asks.
    pub fn new(upstream: Upstream, counters: Arc<Counters>, cache_ttl: Duration) -> Self {
        let cache = (!cache_ttl.is_zero()).then(|| AnswerCache::swept(cache_ttl));
        Self {
            upstream,
            counters,
            cache,
        }
    }

    /// Whom the session cookie pairs `cookie` belong to, as session-app says.
    async fn who(&self, cookie: &str) -> Result<Principal, ApiError> {
        if let Some(principal) = self.cache.as_ref().and_then(|c| c.get(cookie)) {
            self.counters.cache_hit();
            return Ok(principal);
        }
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(cookie).map_err(|_| ApiError::unauthorized())?;
        headers.insert(header::COOKIE, value);
        let answer = self
            .upstream
            .get(Call::Introspection, "/session", headers)
            .await
            .map_err(|e| ApiError::store_down("session server", e))?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => {
                return Err(ApiError::Unauthorized(
                    "the session server knows no live session for this cookie: log in again".into(),
                ));
            }
            // Down, overloaded, or not session-app at all: no verdict on the
            // cookie, so not "logged out" either.
            other => {
                return Err(ApiError::store_down(
                    "session server",
                    format!("GET /session answered {other}"),
                ));
            }
        }
        let session: SessionAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            ApiError::store_down("session server", format!("GET /session answered {e}"))
        })?;
        let principal = Principal {
            user_id: session.id,
            email: session.email,
            // The role as session-app's database holds it now, not a claim
            // made at login.
            role_claim: Some(session.role),
        };
        if let Some(cache) = &self.cache {
            let left = Duration::from_secs(u64::try_from(session.expires_in).unwrap_or(0));
            cache.put(cookie, principal.clone(), left);
        }
        Ok(principal)
    }
}

/// The check in front of the notes in session mode: 401 without a session
/// cookie (nothing to ask), else session-app's answer.
pub async fn require_session(
    State(introspection): State<Arc<Introspection>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(cookie) = session_cookies(req.headers()) else {
        return ApiError::unauthorized().into_response();
    };
    match introspection.who(&cookie).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The pairs of the request's cookies that name a session of session-app's
/// (`sid`, or `__Host-sid` behind HTTPS), as one `Cookie` value; the other
/// cookies of the site are none of session-app's business. `None` when there
/// is no such pair, or it is too long to be one.
fn session_cookies(headers: &HeaderMap) -> Option<String> {
    let names = [false, true].map(auth_core::cookie_names::session);
    let pairs: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|h| h.as_bytes().split(|b| *b == b';'))
        .filter_map(|pair| std::str::from_utf8(pair.trim_ascii()).ok())
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, value)| names.contains(&name.trim()) && !value.is_empty())
        })
        .collect();
    let cookie = pairs.join("; ");
    (!cookie.is_empty() && cookie.len() <= MAX_SESSION_COOKIE_BYTES).then_some(cookie)
}

/// session-app's answers by the cookie they were given for, each until the
/// cache TTL or the session's end, whichever comes first.
struct AnswerCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Principal, Instant)>>,
}

impl AnswerCache {
    fn swept(ttl: Duration) -> Arc<Self> {
        let cache = Arc::new(Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        });
        // Without this, every cookie ever seen would stay in memory.
        auth_core::sweep::purge_while_alive(ttl, &cache, |c| {
            let now = Instant::now();
            c.entries().retain(|_, (_, until)| *until > now);
        });
        cache
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, (Principal, Instant)>> {
        // Every update is one insert or retain: a panicked holder cannot
        // leave the map half-written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, cookie: &str) -> Option<Principal> {
        let entries = self.entries();
        let (principal, until) = entries.get(cookie)?;
        (*until > Instant::now()).then(|| principal.clone())
    }

    fn put(&self, cookie: &str, principal: Principal, session_left: Duration) {
        let until = Instant::now() + self.ttl.min(session_left);
        self.entries().insert(cookie.to_owned(), (principal, until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(values: &[&str]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::COOKIE, HeaderValue::from_str(v).expect("header"));
        }
        session_cookies(&headers)
    }

    #[test]
    fn only_session_cookies_are_sent_on() {
        assert_eq!(
            cookies(&["theme=dark; sid=abc; other=1"]),
            Some("sid=abc".into())
        );
        assert_eq!(
            cookies(&["theme=dark", "__Host-sid=abc"]),
            Some("__Host-sid=abc".into())
        );
        assert_eq!(cookies(&["xsid=abc; sid2=d; theme=dark"]), None);
        assert_eq!(cookies(&["sid="]), None, "emptied by a logout");
        assert_eq!(cookies(&[]), None);
        let long = format!("sid={}", "a".repeat(MAX_SESSION_COOKIE_BYTES));
        assert_eq!(cookies(&[&long]), None);
    }
}
