//! Pages on other sites that may use a server (`ALLOWED_ORIGINS`): CORS for
//! exactly those origins, through tower-http's `CorsLayer`, and the same list
//! for the CSRF check (`csrf.rs`), which lets them through. `COOKIE_SAMESITE`
//! lives here too: a cross-site page's cookie needs `SameSite=None`, and that
//! setting only makes sense with the list.

use std::sync::Arc;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::{self, Next},
    response::Response,
};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::CommonConfig;

/// `COOKIE_SAMESITE`: when the browser sends the credential cookie along with
/// a request that another site started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CookieSameSite {
    /// Top-level navigations from other sites (a followed link), no
    /// requests their pages make.
    #[default]
    Lax,
    /// Only requests this site starts: a link from elsewhere arrives logged out.
    Strict,
    /// Every request, other sites' pages' too (with `Secure`, and only
    /// with ALLOWED_ORIGINS): what a page on another site needs, if the
    /// browser keeps third-party cookies at all.
    None,
}

impl CookieSameSite {
    /// The attribute's value in `Set-Cookie`.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }

    /// Browsers drop a `SameSite=None` cookie that is not `Secure` (loopback
    /// HTTP counts as secure in Chromium, so the workshop still works).
    pub fn needs_secure(self) -> bool {
        self == Self::None
    }
}

/// The origins of `ALLOWED_ORIGINS`, checked and written as browsers write
/// `Origin` (lower case, no default port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Arc<[String]>);

impl AllowedOrigins {
    /// `ALLOWED_ORIGINS` and `COOKIE_SAMESITE` of `config`, or the one-line
    /// reason the server refuses to start with them.
    pub fn from_config(config: &CommonConfig) -> anyhow::Result<Self> {
        let origins = config
            .allowed_origins
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                parse_origin(entry).map_err(|why| {
                    anyhow::anyhow!(
                        "ALLOWED_ORIGINS entry {entry:?} is not an origin: {why} \
                         (write scheme://host[:port], e.g. http://localhost:5173)"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if config.cookie_samesite == CookieSameSite::None && origins.is_empty() {
            anyhow::bail!(
                "COOKIE_SAMESITE=none sends the credential cookie with every other site's \
                 requests: it needs ALLOWED_ORIGINS, the pages that may make them"
            );
        }
        Ok(Self(origins.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `origin`, as a browser sent it, is on the list. `null` (a
    /// sandboxed frame, a `file:` page, a redirect) never is: the list cannot
    /// hold it.
    pub fn contains(&self, origin: &[u8]) -> bool {
        self.0.iter().any(|allowed| allowed.as_bytes() == origin)
    }

    /// `router` answering CORS for these origins, preflights included; every
    /// other request goes by as if there were no list. `credentials`: the
    /// credential is a cookie, which a page's `fetch(…, {credentials:
    /// "include"})` only sends, and reads the answer of, with
    /// `Access-Control-Allow-Credentials: true`.
    pub fn answer_cors(&self, router: Router, credentials: bool) -> Router {
        if self.is_empty() {
            return router;
        }
        let origins = self.0.iter().filter_map(|o| HeaderValue::from_str(o).ok());
        let layer = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(ALLOWED_METHODS)
            .allow_headers(ALLOWED_REQUEST_HEADERS)
            .allow_credentials(credentials);
        let cors = Cors {
            origins: self.clone(),
            layer,
        };
        // A preflight's OPTIONS is no method of any route: the layer must
        // wrap the 405 answer that axum puts in each route's place.
        crate::middleware::with_fallbacks(router)
            .layer(middleware::from_fn_with_state(cors, answer))
    }
}

/// What a page's requests carry beyond the CORS-safelisted: a JSON body,
/// and jwt-app's bearer token.
const ALLOWED_REQUEST_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::AUTHORIZATION];

/// The methods of the contract's routes.
const ALLOWED_METHODS: [Method; 4] = [Method::GET, Method::POST, Method::PUT, Method::DELETE];

#[derive(Clone)]
struct Cors {
    origins: AllowedOrigins,
    layer: CorsLayer,
}

/// tower-http's layer answers every `OPTIONS` itself and writes its
/// `Allow-Methods`, `Allow-Headers` and `Allow-Credentials` whatever the
/// origin; a request from anywhere else must get none of them and meet the
/// server as if it had no list, so the layer only sees allowed origins.
async fn answer(State(cors): State<Cors>, req: Request, next: Next) -> Response {
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .is_some_and(|origin| cors.origins.contains(origin.as_bytes()));
    if !allowed {
        return next.run(req).await;
    }
    match cors.layer.layer(next).oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// `entry` as browsers write it in `Origin`: `scheme://host[:port]`, lower
/// case, without the scheme's default port; or why it is not an origin.
fn parse_origin(entry: &str) -> Result<String, &'static str> {
    if entry.eq_ignore_ascii_case("null") {
        return Err("`null` is what sandboxed and file pages send, which anyone can make");
    }
    if entry.contains('*') {
        return Err("a wildcard would let any site's page in; name each origin");
    }
    let Some((scheme, authority)) = entry.split_once("://") else {
        return Err("it has no scheme");
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err("the scheme is neither http nor https"),
    };
    if authority.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment");
    }
    if authority.contains('@') || authority.chars().any(char::is_whitespace) {
        return Err("an origin has no user info or spaces");
    }
    let (host, port) = crate::csrf::authority_of(authority, default_port)
        .ok_or("it has no host, or its port is not a number")?;
    let scheme = scheme.to_ascii_lowercase();
    Ok(if port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    })
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        assert_eq!(
            parse_origin("http://localhost:5173"),
            Ok("http://localhost:5173".into())
        );
        assert_eq!(
            parse_origin("HTTPS://App.Example:443"),
            Ok("https://app.example".into())
        );
        assert_eq!(
            parse_origin("http://[::1]:5173"),
            Ok("http://[::1]:5173".into())
        );
    }

    #[test]
    fn paths_wildcards_null_and_bare_hosts_are_not_origins() {
        for bad in [
            "http://localhost:5173/",
            "http://localhost:5173/app",
            "https://*.example.com",
            "*",
            "null",
            "localhost:5173",
            "ftp://files.example",
            "http://",
            "http://user@app.example",
            "http://app.example:port",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
