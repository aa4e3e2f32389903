//! The CSRF check, one implementation for every credential a browser
//! attaches by itself: session-app's `sid` cookie and jwt-app's token
//! cookies (`TOKEN_TRANSPORT=cookie`). It needs nothing of either app but the
//! scheme the server is reached over.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::Response,
};

use crate::{ApiError, CommonConfig, cors::AllowedOrigins};

/// A server reachable from other machines, whose credential cookie is not
/// kept to HTTPS, sends it in clear over any network between: say so at start.
pub fn warn_if_cookie_in_clear(app: &str, config: &CommonConfig) {
    if cookie_in_clear(config.serve.bind, config.cookie_secure) {
        tracing::warn!(
            "BIND {} lets other machines reach {app}, and without COOKIE_SECURE=true its \
             credential cookie may travel over plain HTTP, readable on the way: serve it over \
             HTTPS and set COOKIE_SECURE=true",
            config.serve.bind
        );
    }
}

/// `UNSAFE_DISABLE_CSRF_CHECK` hands the user's cookie to any page their
/// browser visits: a demonstration on one's own machine, never a server
/// others reach (a non-loopback BIND, or TRUST_PROXY or COOKIE_SECURE: a proxy
/// in front).
pub fn refuse_unsafe_public_bind(config: &CommonConfig) -> anyhow::Result<()> {
    config.local_only(
        config.unsafe_disable_csrf_check,
        "--unsafe-disable-csrf-check (UNSAFE_DISABLE_CSRF_CHECK) lets any other site's page \
         act as the logged-in user",
    )
}

/// What [`refuse_cross_origin`] runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    scheme: Scheme,
    /// `ALLOWED_ORIGINS`: other origins whose pages may act with the cookie.
    allowed: AllowedOrigins,
    /// `UNSAFE_DISABLE_CSRF_CHECK`: the check lets everything through.
    disabled: bool,
}

impl Guard {
    /// The check for `app`'s cookie credential, as configured, letting
    /// `allowed` through. Refuses the unsafe flag off loopback, and says
    /// loudly at start what it opens.
    pub fn from_config(
        app: &str,
        config: &CommonConfig,
        allowed: AllowedOrigins,
    ) -> anyhow::Result<Self> {
        refuse_unsafe_public_bind(config)?;
        if config.unsafe_disable_csrf_check {
            tracing::warn!(
                "UNSAFE_DISABLE_CSRF_CHECK=true: {app} lets cross-origin POST, PUT and DELETE \
                 through, so any page the logged-in user's browser visits can log them out or \
                 change roles with their cookie. For the browser workshop only."
            );
        }
        Ok(Self {
            scheme: Scheme::served(config.cookie_secure),
            allowed,
            disabled: config.unsafe_disable_csrf_check,
        })
    }
}

/// Reachable from other machines, with a cookie that is not kept to HTTPS.
fn cookie_in_clear(bind: std::net::IpAddr, cookie_secure: bool) -> bool {
    !bind.is_loopback() && !cookie_secure
}

/// The scheme browsers reach this server over, as they write it in `Origin`.
/// The server cannot see it on the request: behind a TLS proxy the socket is
/// plain HTTP while the page is `https://`, so configuration says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    /// `COOKIE_SECURE=true` means the cookie only travels over HTTPS, so the
    /// pages that may use it are `https://` ones.
    pub fn served(cookie_secure: bool) -> Self {
        if cookie_secure {
            Self::Https
        } else {
            Self::Http
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Http, Self::Https]
            .into_iter()
            .find(|scheme| s.eq_ignore_ascii_case(scheme.name()))
    }

    fn name(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// A browser attaches a cookie credential to every request to this server,
/// also one that another site's page makes: refuse state-changing requests
/// that the browser says come from another origin.
pub async fn refuse_cross_origin(
    State(guard): State<Guard>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !guard.disabled {
        check(guard.scheme, &guard.allowed, req.method(), req.headers())?;
    }
    Ok(next.run(req).await)
}

/// `Ok` unless a browser says this state-changing request comes from
/// another origin: an `Origin` that differs in scheme, host or port from
/// `scheme://Host` and is not one of `allowed`, or without `Origin`, `Sec-Fetch-Site: same-site` (a sibling
/// subdomain, which SameSite=Lax does not stop) or `cross-site`. Clients that
/// send neither header (curl, scripts) are not a browser acting for another
/// site, and pass.
pub fn check(
    scheme: Scheme,
    allowed: &AllowedOrigins,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if is_safe(method) {
        return Ok(());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        if allowed.contains(origin.as_bytes()) {
            return Ok(());
        }
        let origin = origin.to_str().unwrap_or("null");
        if !same_origin(origin, scheme, host) {
            return Err(ApiError::Csrf(format!(
                "cross-origin request refused: Origin {origin} is not this server ({}://{})",
                scheme.name(),
                host.unwrap_or("no Host header")
            )));
        }
        return Ok(());
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site @ ("cross-site" | "same-site")) => Err(ApiError::Csrf(format!(
            "request from another origin refused (Sec-Fetch-Site: {site})"
        ))),
        _ => Ok(()),
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// RFC 6454: same origin is same scheme, host and port. `Origin` is
/// `scheme://host[:port]`; ours is `scheme://Host`, a port left out being the
/// scheme's default on either side.
fn same_origin(origin: &str, ours: Scheme, host: Option<&str>) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if Scheme::parse(scheme) != Some(ours) {
        return false;
    }
    let theirs = authority_of(authority, ours.default_port());
    let ours = host.and_then(|h| authority_of(h, ours.default_port()));
    theirs.is_some() && theirs == ours
}

/// `host[:port]` as (lower-cased host, port); `None` when it is not one
/// (a path, user info or an empty host has no place in `Origin` or `Host`).
pub(crate) fn authority_of(s: &str, default_port: u16) -> Option<(String, u16)> {
    if s.contains(['/', '?', '#', '@']) {
        return None;
    }
    // An IPv6 literal keeps its colons inside brackets.
    let split_at = match s.rfind(']') {
        Some(end) => s[end..].find(':').map(|i| end + i),
        None => s.rfind(':'),
    };
    let (host, port) = match split_at {
        Some(i) => (&s[..i], s[i + 1..].parse().ok()?),
        None => (s, default_port),
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_public_bind_without_cookie_secure_is_in_clear() {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let public = IpAddr::from(Ipv4Addr::UNSPECIFIED);
        let loopback = IpAddr::from(Ipv6Addr::LOCALHOST);
        assert!(super::cookie_in_clear(public, false));
        assert!(!super::cookie_in_clear(public, true));
        assert!(!super::cookie_in_clear(loopback, false));
    }

    use super::{Scheme, same_origin};

    const HTTP: Scheme = Scheme::Http;
    const HTTPS: Scheme = Scheme::Https;

    #[test]
    fn origin_must_name_scheme_host_and_port() {
        let host = Some("127.0.0.1:3001");
        assert!(same_origin("http://127.0.0.1:3001", HTTP, host));
        assert!(!same_origin("http://127.0.0.1:3002", HTTP, host));
        assert!(!same_origin("https://127.0.0.1:3001", HTTP, host));
        assert!(!same_origin("http://127.0.0.1:3001", HTTPS, host));
        assert!(same_origin("https://127.0.0.1:3001", HTTPS, host));
        assert!(!same_origin("https://evil.example", HTTP, host));
        assert!(!same_origin("null", HTTP, host));
        assert!(!same_origin("http://127.0.0.1:3001", HTTP, None));
        assert!(!same_origin("ftp://127.0.0.1:3001", HTTP, host));
        assert!(!same_origin("http://user@127.0.0.1:3001", HTTP, host));
    }

    #[test]
    fn a_missing_port_is_the_schemes_default() {
        assert!(same_origin(
            "https://App.example",
            HTTPS,
            Some("app.example")
        ));
        assert!(same_origin(
            "https://app.example",
            HTTPS,
            Some("app.example:443")
        ));
        assert!(same_origin(
            "https://app.example:443",
            HTTPS,
            Some("app.example")
        ));
        assert!(!same_origin(
            "https://app.example",
            HTTPS,
            Some("app.example:80")
        ));
        assert!(same_origin(
            "http://app.example",
            HTTP,
            Some("app.example:80")
        ));
        assert!(!same_origin(
            "http://app.example",
            HTTP,
            Some("app.example.evil")
        ));
    }

    #[test]
    fn ipv6_literals_keep_their_colons() {
        assert!(same_origin("http://[::1]:3001", HTTP, Some("[::1]:3001")));
        assert!(!same_origin("http://[::1]:3002", HTTP, Some("[::1]:3001")));
        assert!(same_origin("http://[::1]", HTTP, Some("[::1]:80")));
    }
}
