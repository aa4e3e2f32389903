//! Which client a request comes from, for the per-address limits.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::request::Parts,
};
use ipnet::IpNet;

use crate::{Accounts, ApiError};

/// The client's address: the socket's peer, or, when that peer is a proxy
/// named by `TRUST_PROXY`, the address the proxies appended to
/// `X-Forwarded-For`. The header is believed from nobody else, since any
/// client can write it. Addresses are canonical: an IPv4 client of a
/// dual-stack socket (`::ffff:192.0.2.7`) is `192.0.2.7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The peer, or, when it is a trusted proxy, the rightmost address of
    /// `X-Forwarded-For` that is not itself a trusted proxy (each proxy
    /// appends the address it saw; entries left of the first untrusted one
    /// are the client's own claims). An entry that is not an address stops
    /// the walk at the last trusted hop.
    pub fn resolve(peer: IpAddr, trusted: &[IpNet], forwarded: Option<&str>) -> Self {
        let peer = peer.to_canonical();
        if !is_trusted(trusted, peer) {
            return Self(peer);
        }
        let mut client = peer;
        for entry in forwarded.into_iter().flat_map(|list| list.rsplit(',')) {
            let Ok(addr) = entry.trim().parse::<IpAddr>() else {
                break;
            };
            client = addr.to_canonical();
            if !is_trusted(trusted, client) {
                break;
            }
        }
        Self(client)
    }
}

/// Whether `addr` (canonical) is in one of the `trusted` ranges.
pub fn is_trusted(trusted: &[IpNet], addr: IpAddr) -> bool {
    let addr = addr.to_canonical();
    trusted.iter().any(|net| net.contains(&addr))
}

/// One entry of `TRUST_PROXY`: an address (`127.0.0.1`, `::1`) or a CIDR
/// range (`10.0.0.0/8`); an IPv4-mapped IPv6 address is taken as its IPv4 one.
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(addr.to_canonical()));
    }
    s.parse::<IpNet>().map(|net| net.trunc()).map_err(|_| {
        format!("{s:?} is neither an IP address nor a CIDR range (try 127.0.0.1 or 10.0.0.0/8)")
    })
}

/// `TRUST_PROXY` as the requests use it, and the two warnings it gives: at
/// start, whom `X-Forwarded-For` is believed from; and once, the first time
/// a request comes from another peer while it is set (a client reaching the
/// server around the proxy, or a proxy the setting does not name).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Arc<[IpNet]>,
    warned_direct: Arc<AtomicBool>,
}

impl TrustedProxies {
    pub fn new(nets: &[IpNet]) -> Self {
        if !nets.is_empty() {
            tracing::warn!(
                trust_proxy = %list(nets),
                "X-Forwarded-For is believed only from these proxies; until a request comes \
                 through one, each client is its socket's address. A peer elsewhere is not \
                 a proxy: check that TRUST_PROXY names the proxy as this server sees it"
            );
        }
        Self {
            nets: nets.into(),
            warned_direct: Arc::default(),
        }
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// The client of a request from `peer`, warning once if a proxy is
    /// configured and `peer` is not one.
    pub fn resolve(&self, peer: IpAddr, forwarded: Option<&str>) -> ClientAddr {
        if !self.nets.is_empty()
            && !is_trusted(&self.nets, peer)
            && !self.warned_direct.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                peer = %peer.to_canonical(),
                trust_proxy = %list(&self.nets),
                "a request came from a peer that TRUST_PROXY does not name: its X-Forwarded-For \
                 is ignored (said once)"
            );
        }
        ClientAddr::resolve(peer, &self.nets, forwarded)
    }
}

fn list(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    Accounts: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "no peer address: serve the router with `into_make_service_with_connect_info`"
                ))
            })?;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok());
        Ok(Accounts::from_ref(state)
            .trusted_proxies()
            .resolve(peer, forwarded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn nets(list: &str) -> Vec<IpNet> {
        list.split(',')
            .map(|s| parse_proxy(s).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    #[test]
    fn forwarded_for_counts_only_from_the_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let trusted = nets("10.0.0.1");
        let header = Some("6.6.6.6, 192.0.2.7");
        assert_eq!(
            ClientAddr::resolve(proxy, &trusted, header).0,
            ip("192.0.2.7"),
            "the address the proxy appended, not the client's own claim"
        );
        assert_eq!(
            ClientAddr::resolve(ip("192.0.2.9"), &trusted, header).0,
            ip("192.0.2.9")
        );
        assert_eq!(ClientAddr::resolve(proxy, &[], header).0, proxy);
        assert_eq!(
            ClientAddr::resolve(proxy, &trusted, Some("garbage")).0,
            proxy
        );
    }

    #[test]
    fn a_dual_stack_peer_is_its_ipv4_address() {
        let trusted = nets("127.0.0.1");
        assert_eq!(
            ClientAddr::resolve(ip("::ffff:127.0.0.1"), &trusted, Some("192.0.2.7")).0,
            ip("192.0.2.7"),
            "::ffff:127.0.0.1 is the trusted 127.0.0.1"
        );
        assert_eq!(
            ClientAddr::resolve(ip("::ffff:192.0.2.9"), &trusted, None).0,
            ip("192.0.2.9")
        );
        let mapped = nets("::ffff:10.0.0.1");
        assert!(is_trusted(&mapped, ip("10.0.0.1")));
    }

    #[test]
    fn proxies_are_a_list_of_addresses_and_ranges() {
        let trusted = nets("127.0.0.1, 10.0.0.0/8,fd00::/8");
        assert!(is_trusted(&trusted, ip("10.1.2.3")));
        assert!(is_trusted(&trusted, ip("::ffff:10.1.2.3")));
        assert!(is_trusted(&trusted, ip("fd12::1")));
        assert!(!is_trusted(&trusted, ip("11.0.0.1")));
        // Two proxies in a row: the client is the first address neither appended.
        assert_eq!(
            ClientAddr::resolve(
                ip("10.0.0.2"),
                &trusted,
                Some("6.6.6.6, 192.0.2.7, 10.0.0.1")
            )
            .0,
            ip("192.0.2.7")
        );
        assert!(parse_proxy("not-an-address").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }
}
