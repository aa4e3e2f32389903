//! The request inspector of the workshop (`--inspect`, `INSPECT`): what a
//! server received, request by request, for the side-by-side page to show as
//! it arrives: method, path, status, and the credential headers by name and
//! length, never their values (a projector shows them to the room, and the
//! room's cookies are live). Kept in a ring in memory, published at
//! `GET /debug/requests?after=N` to a loopback `Host` only, and only on a
//! server reached from this machine alone (the `local_only` refusals).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Query, Request, State},
    http::{HeaderMap, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::ApiError;

/// Requests kept: a workshop's last few minutes, and a bound on the memory a
/// flood of requests can take.
pub const CAPACITY: usize = 256;

/// Where the inspector answers; its own polls are not recorded (they would
/// drown what the room is looking for).
pub const ROUTE: &str = "/debug/requests";

/// What the inspector refuses to run without, in the words of the refusal.
pub const WHAT: &str = "--inspect (INSPECT) serves GET /debug/requests, which tells anyone who \
                        asks which credentials this server's visitors send";

/// One request as the inspector keeps it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Seen {
    /// 1, 2, 3… in arrival order: the `after` of the next poll.
    pub seq: u64,
    /// Milliseconds since the Unix epoch, when the answer left.
    pub at_ms: u64,
    pub method: String,
    /// Without the query string, which may carry anything.
    pub path: String,
    pub status: u16,
    pub cookies: Vec<CookieSeen>,
    pub authorization: Option<AuthorizationSeen>,
    /// Not credentials: where the request came from, as the browser says.
    pub origin: Option<String>,
    pub sec_fetch_site: Option<String>,
}

/// A cookie that went with a request: its name and how long its value is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CookieSeen {
    pub name: String,
    pub length: usize,
}

/// An `Authorization` header: its scheme and how long the rest is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorizationSeen {
    pub scheme: String,
    pub length: usize,
}

#[derive(Debug, Default)]
struct Ring {
    seen: VecDeque<Seen>,
    last_seq: u64,
}

/// The requests a server received, shared by the recording layer and the
/// route that publishes them.
#[derive(Debug, Clone, Default)]
pub struct Inspector {
    ring: Arc<Mutex<Ring>>,
}

impl Inspector {
    /// An inspector if `on`: the caller has already refused a public server
    /// (`CommonConfig::local_only` or `ServeConfig::loopback_only` with
    /// [`WHAT`]).
    pub fn if_on(on: bool) -> Option<Self> {
        on.then(Self::default)
    }

    /// session-app's and jwt-app's inspector: `None` unless `--inspect`,
    /// refused on a server reached from elsewhere.
    pub fn for_app(config: &crate::CommonConfig) -> anyhow::Result<Option<Self>> {
        config.local_only(config.serve.inspect, WHAT)?;
        Ok(Self::if_on(config.serve.inspect))
    }

    /// The same for a server without users (the resource server).
    pub fn for_server(serve: &crate::config::ServeConfig) -> anyhow::Result<Option<Self>> {
        serve.loopback_only(serve.inspect, WHAT)?;
        Ok(Self::if_on(serve.inspect))
    }

    /// `router` with `GET /debug/requests` (to a loopback `Host` only) and
    /// every request recorded, the route's own polls excepted. Applied to a
    /// finished router ([`crate::middleware::finish_inspected`]), so that it
    /// also sees the answers its layers and the fallback make.
    pub fn record_around(self, router: Router) -> Router {
        router.layer(middleware::from_fn_with_state(self, record))
    }

    /// The route, to add before the router is finished.
    pub fn route(&self, router: Router) -> Router {
        router.route(
            ROUTE,
            get(requests)
                .with_state(self.clone())
                .route_layer(middleware::from_fn(crate::host::loopback_host_only)),
        )
    }

    fn push(&self, mut seen: Seen) {
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        ring.last_seq += 1;
        seen.seq = ring.last_seq;
        if ring.seen.len() == CAPACITY {
            ring.seen.pop_front();
        }
        ring.seen.push_back(seen);
    }

    /// What arrived after `after`, and the `after` of the next poll.
    pub fn after(&self, after: u64) -> Value {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let requests: Vec<&Seen> = ring.seen.iter().filter(|s| s.seq > after).collect();
        // Requests the ring let go before this poll could see them.
        let first_kept = ring.seen.front().map_or(ring.last_seq + 1, |s| s.seq);
        let missed = first_kept.saturating_sub(after + 1).min(ring.last_seq);
        json!({
            "requests": requests,
            "next": ring.last_seq,
            "missed": missed,
            "capacity": CAPACITY,
        })
    }
}

async fn record(State(inspector): State<Inspector>, req: Request, next: Next) -> Response {
    if req.uri().path() == ROUTE {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let (cookies, authorization, origin, sec_fetch_site) = credentials(req.headers());
    let res = next.run(req).await;
    inspector.push(Seen {
        seq: 0,
        at_ms: now_ms(),
        method,
        path,
        status: res.status().as_u16(),
        cookies,
        authorization,
        origin,
        sec_fetch_site,
    });
    res
}

type Credentials = (
    Vec<CookieSeen>,
    Option<AuthorizationSeen>,
    Option<String>,
    Option<String>,
);

/// The credential headers by name and length, and the two that say where
/// the request came from.
fn credentials(headers: &HeaderMap) -> Credentials {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let pair = pair.trim();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (!name.is_empty()).then(|| CookieSeen {
                name: name.trim().to_owned(),
                length: value.trim().len(),
            })
        })
        .collect();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let v = v.trim();
            let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
            AuthorizationSeen {
                scheme: scheme.to_owned(),
                length: rest.trim().len(),
            }
        });
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    (
        cookies,
        authorization,
        text(header::ORIGIN.as_str()),
        text("sec-fetch-site"),
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `GET /debug/requests?after=N`: what arrived after request N (all that is
/// kept without `after`).
async fn requests(
    State(inspector): State<Inspector>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let (after, _) = poll_query(query, &[])?;
    Ok(Json(inspector.after(after)))
}

/// A poll's query string: `after` (0 without it), and the parameters named
/// in `others`, by name; any other is refused.
pub fn poll_query(
    query: Vec<(String, String)>,
    others: &[&str],
) -> Result<(u64, Vec<(String, String)>), ApiError> {
    let mut after = 0;
    let mut rest = Vec::new();
    for (name, value) in query {
        if name == "after" {
            after = value.parse().map_err(|_| {
                ApiError::InvalidInput(format!(
                    "after must be a request number (0 or more), not {value:?}"
                ))
            })?;
        } else if others.contains(&name.as_str()) {
            rest.push((name, value));
        } else {
            let known = [&["after"][..], others].concat().join(", ");
            return Err(ApiError::InvalidInput(format!(
                "unknown parameter {name:?}: they are {known}"
            )));
        }
    }
    Ok((after, rest))
}

/// An `http://` origin on a loopback name with a port: the only servers
/// whose inspector another workshop server relays ([`relay`]).
pub fn loopback_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/');
    let (name, port) = origin
        .strip_prefix("http://")
        .and_then(crate::host::authority)?;
    (port.is_some() && crate::host::is_loopback_name(&name)).then(|| origin.to_owned())
}

/// The inspector of the server at `origin` (a [`loopback_origin`]), asked
/// by a workshop server for its page: the page's CSP lets it ask its own
/// origin only (`connect-src 'self'`), and no server answers CORS for
/// `/debug/*`. A server that is not running, or not inspected, is a 503
/// that says which.
pub async fn relay(origin: &str, after: u64) -> Result<Value, ApiError> {
    use hyper_util::{client::legacy::Client, rt::TokioExecutor};
    let origin = loopback_origin(origin).ok_or_else(|| {
        ApiError::InvalidInput(format!(
            "{origin:?} is not an http:// origin on a loopback name with a port"
        ))
    })?;
    let uri: axum::http::Uri = format!("{origin}{ROUTE}?after={after}")
        .parse()
        .map_err(|_| ApiError::InvalidInput(format!("{origin:?} is not a usable origin")))?;
    let client: Client<_, axum::body::Body> = Client::builder(TokioExecutor::new()).build_http();
    let asked = tokio::time::timeout(std::time::Duration::from_secs(3), client.get(uri));
    let res = match asked.await {
        Ok(Ok(res)) => res,
        _ => {
            return Err(ApiError::Unavailable(format!(
                "nothing answers at {origin}: is the server running?"
            )));
        }
    };
    if res.status() == axum::http::StatusCode::NOT_FOUND {
        return Err(ApiError::Unavailable(format!(
            "{origin} does not publish what it receives: start it with --inspect \
             (just workshop does)"
        )));
    }
    let status = res.status();
    let body = axum::body::to_bytes(axum::body::Body::new(res.into_body()), 1 << 20)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{origin} broke off its answer: {e}")))?;
    if !status.is_success() {
        return Err(ApiError::Unavailable(format!(
            "{origin} answered {status} for its requests"
        )));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::Unavailable(format!("{origin} answered no JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn seen(path: &str) -> Seen {
        Seen {
            seq: 0,
            at_ms: 0,
            method: "GET".into(),
            path: path.into(),
            status: 200,
            cookies: vec![],
            authorization: None,
            origin: None,
            sec_fetch_site: None,
        }
    }

    #[test]
    fn credentials_are_named_and_measured_never_copied() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("id=s3cr3tvalue; csrf=abc;flag"),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer eyJ.abc.def"),
        );
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://localhost:4000"),
        );
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        let (cookies, authorization, origin, site) = credentials(&headers);
        assert_eq!(
            cookies,
            vec![
                CookieSeen {
                    name: "id".into(),
                    length: 11
                },
                CookieSeen {
                    name: "csrf".into(),
                    length: 3
                },
                CookieSeen {
                    name: "flag".into(),
                    length: 0
                },
            ]
        );
        assert_eq!(
            authorization,
            Some(AuthorizationSeen {
                scheme: "Bearer".into(),
                length: 11
            })
        );
        assert_eq!(origin.as_deref(), Some("http://localhost:4000"));
        assert_eq!(site.as_deref(), Some("cross-site"));
        let text = serde_json::to_string(&(cookies, authorization)).unwrap_or_default();
        assert!(!text.contains("s3cr3t") && !text.contains("eyJ"), "{text}");
    }

    #[test]
    fn the_ring_keeps_the_last_requests_and_says_how_many_it_let_go() {
        let inspector = Inspector::default();
        for i in 0..CAPACITY + 10 {
            inspector.push(seen(&format!("/{i}")));
        }
        let all = inspector.after(0);
        let requests = all["requests"].as_array().cloned().unwrap_or_default();
        assert_eq!(requests.len(), CAPACITY);
        assert_eq!(requests[0]["seq"], 11);
        assert_eq!(all["next"], CAPACITY as u64 + 10);
        assert_eq!(all["missed"], 10);

        let later = inspector.after(CAPACITY as u64 + 8);
        assert_eq!(later["requests"].as_array().map(Vec::len), Some(2));
        assert_eq!(later["missed"], 0);
        let none = inspector.after(CAPACITY as u64 + 10);
        assert_eq!(none["requests"].as_array().map(Vec::len), Some(0));
    }
}
