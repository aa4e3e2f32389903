//! The `Host` a request names: which ones the server answers at all
//! (`ALLOWED_HOSTS`, against DNS rebinding), and which ones count as this
//! machine (for the `/debug/*` routes).
//!
//! DNS rebinding: a page on `rebind.evil.example` has its name re-resolve to
//! 127.0.0.1, and its scripts then drive the developer's loopback server as
//! a same-origin peer: `Origin` and `Host` agree (both name the attacker's
//! domain), so the CSRF check passes. The browser still sends the attacker's
//! name in `Host`, so a server that answers only its own names is out of
//! reach.

use std::{net::IpAddr, sync::Arc};

use axum::{
    Json,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::ApiError;

/// `host[:port]` as (lower-cased name without brackets or a final dot,
/// port if given); `None` when it is not one.
pub fn authority(s: &str) -> Option<(String, Option<u16>)> {
    let s = s.trim();
    if s.is_empty() || s.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (name, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?.parse().ok()?),
        };
        (v6, port)
    } else {
        match s.rsplit_once(':') {
            Some((name, port)) => (name, Some(port.parse().ok()?)),
            None => (s, None),
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some((name, port))
}

/// Whether a name (as [`authority`] gives it) is this machine: `localhost`
/// or a loopback address (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`).
pub fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// For the `/debug/*` routes: answered only to a request whose `Host` is a
/// loopback name or address; any other gets the 404 of an unknown route (a
/// proxy in front passes its public name on, and the route does not exist
/// for that audience).
pub async fn loopback_host_only(req: Request, next: Next) -> Response {
    let loopback = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(authority)
        .is_some_and(|(name, _)| is_loopback_name(&name));
    if loopback {
        next.run(req).await
    } else {
        ApiError::NotFound("no such route".into()).into_response()
    }
}

/// One entry of the allow-list: a name, on one port or any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    name: String,
    port: Option<u16>,
}

/// The `Host` values the server answers ([`refuse_misdirected`]).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    rules: Arc<[Rule]>,
    /// `ALLOWED_HOSTS=*`: every Host.
    any: bool,
    /// On BIND 0.0.0.0 or `::` without `ALLOWED_HOSTS`: any IP address (a
    /// rebinding page always has a name), on `port`.
    any_ip_on: Option<u16>,
}

impl AllowedHosts {
    /// `configured` (`ALLOWED_HOSTS`), or else the default for a server bound
    /// to `bind` and listening on `port` (the port it really got: a server
    /// started on port 0 learns it only after binding).
    pub fn new(configured: &[String], bind: IpAddr, port: u16) -> anyhow::Result<Self> {
        let configured: Vec<&str> = configured
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if configured.contains(&"*") {
            tracing::warn!(
                "ALLOWED_HOSTS=*: any Host is answered, so a DNS rebinding page can reach \
                 this server under its own name"
            );
            return Ok(Self {
                rules: Arc::new([]),
                any: true,
                any_ip_on: None,
            });
        }
        if !configured.is_empty() {
            let rules = configured
                .iter()
                .map(|entry| {
                    let (name, port) = authority(entry).ok_or_else(|| {
                        anyhow::anyhow!(
                            "ALLOWED_HOSTS entry {entry:?} is not a host name or `name:port`"
                        )
                    })?;
                    Ok(Rule { name, port })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            return Ok(Self {
                rules: rules.into(),
                any: false,
                any_ip_on: None,
            });
        }
        let localhost = Rule {
            name: "localhost".into(),
            port: Some(port),
        };
        if bind.is_unspecified() {
            tracing::warn!(
                "BIND {bind} without ALLOWED_HOSTS: requests naming an IP address or \
                 localhost (port {port}) are answered, any other Host gets 421; set \
                 ALLOWED_HOSTS to the names clients reach this server by"
            );
            return Ok(Self {
                rules: Arc::new([localhost]),
                any: false,
                any_ip_on: Some(port),
            });
        }
        let bound = Rule {
            name: bind.to_string().to_ascii_lowercase(),
            port: Some(port),
        };
        Ok(Self {
            rules: Arc::new([bound, localhost]),
            any: false,
            any_ip_on: None,
        })
    }

    /// Whether a request with this `Host` header is answered.
    pub fn allows(&self, host: Option<&str>) -> bool {
        if self.any {
            return true;
        }
        let Some((name, port)) = host.and_then(authority) else {
            return false;
        };
        // A Host without a port names the scheme's default one.
        let port_matches = |wanted: Option<u16>| match (wanted, port) {
            (None, _) => true,
            (Some(w), Some(p)) => w == p,
            (Some(w), None) => w == 80,
        };
        if self
            .any_ip_on
            .is_some_and(|p| name.parse::<IpAddr>().is_ok() && port_matches(Some(p)))
        {
            return true;
        }
        self.rules
            .iter()
            .any(|rule| rule.name == name && port_matches(rule.port))
    }
}

/// Answers 421 `misdirected_request` to a request whose `Host` the server
/// does not answer, before any routing.
pub async fn refuse_misdirected(
    State(allowed): State<AllowedHosts>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if allowed.allows(host) {
        return next.run(req).await;
    }
    let message = match host {
        Some(host) => format!(
            "this server does not answer to Host {host:?}; its names are set by ALLOWED_HOSTS"
        ),
        None => "a request needs a Host header".to_owned(),
    };
    let mut res = (
        StatusCode::MISDIRECTED_REQUEST,
        Json(json!({"error": "misdirected_request", "message": message})),
    )
        .into_response();
    crate::middleware::set_security_headers(res.headers_mut());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(configured: &[&str], bind: &str, port: u16) -> AllowedHosts {
        let configured: Vec<String> = configured.iter().map(|s| (*s).to_owned()).collect();
        let bind = bind.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        AllowedHosts::new(&configured, bind, port).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_default_is_the_bind_address_and_localhost_on_the_port() {
        let h = hosts(&[], "127.0.0.1", 3001);
        for ok in [
            "127.0.0.1:3001",
            "localhost:3001",
            "LOCALHOST:3001",
            "localhost.:3001",
        ] {
            assert!(h.allows(Some(ok)), "{ok}");
        }
        for refused in [
            "rebind.evil.example:3001",
            "127.0.0.1:3002",
            "localhost",
            "[::1]:3001",
            "127.0.0.1:3001@evil",
            "",
        ] {
            assert!(!h.allows(Some(refused)), "{refused}");
        }
        assert!(!h.allows(None));
        let v6 = hosts(&[], "::1", 3001);
        assert!(v6.allows(Some("[::1]:3001")) && v6.allows(Some("localhost:3001")));
        assert!(!v6.allows(Some("127.0.0.1:3001")));
    }

    #[test]
    fn an_unspecified_bind_answers_ip_addresses_but_no_other_name() {
        let h = hosts(&[], "::", 3001);
        assert!(h.allows(Some("192.0.2.7:3001")) && h.allows(Some("[2001:db8::1]:3001")));
        assert!(h.allows(Some("localhost:3001")));
        assert!(!h.allows(Some("rebind.evil.example:3001")));
        assert!(!h.allows(Some("192.0.2.7:3002")));
    }

    #[test]
    fn configured_names_take_any_port_unless_they_name_one() {
        let h = hosts(
            &["app.example.com", "api.example.com:8443"],
            "127.0.0.1",
            3001,
        );
        assert!(h.allows(Some("app.example.com")) && h.allows(Some("App.Example.com:443")));
        assert!(h.allows(Some("api.example.com:8443")));
        assert!(!h.allows(Some("api.example.com")));
        assert!(!h.allows(Some("127.0.0.1:3001")), "the default is replaced");
        assert!(hosts(&["*"], "127.0.0.1", 1).allows(Some("anything:9")));
        assert!(AllowedHosts::new(&["a/b".into()], IpAddr::from([127, 0, 0, 1]), 1).is_err());
    }

    #[test]
    fn loopback_names_are_localhost_and_loopback_addresses() {
        for name in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback_name(name), "{name}");
        }
        for name in ["example.com", "192.0.2.1", "localhost.evil.example", "::"] {
            assert!(!is_loopback_name(name), "{name}");
        }
        assert_eq!(authority("[::1]:3001"), Some(("::1".into(), Some(3001))));
        assert_eq!(authority("Example.COM"), Some(("example.com".into(), None)));
        assert_eq!(authority("a:b"), None);
    }
}
