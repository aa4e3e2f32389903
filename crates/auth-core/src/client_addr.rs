//! Which client a request comes from, for the per-address limits.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::request::Parts,
};

use crate::{Accounts, ApiError};

/// The client's address: the socket's peer, or, when that peer is the proxy
/// named by `TRUST_PROXY`, the address that proxy appended to
/// `X-Forwarded-For`. The header is believed from nobody else, since any
/// client can write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    pub fn resolve(peer: IpAddr, trusted_proxy: Option<IpAddr>, forwarded: Option<&str>) -> Self {
        if trusted_proxy != Some(peer) {
            return Self(peer);
        }
        // The proxy appends the address it saw last; earlier entries are the
        // client's own claims.
        let last = forwarded
            .and_then(|list| list.rsplit(',').next())
            .and_then(|addr| addr.trim().parse().ok());
        Self(last.unwrap_or(peer))
    }
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
        Ok(Self::resolve(
            peer,
            Accounts::from_ref(state).trusted_proxy(),
            forwarded,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn forwarded_for_counts_only_from_the_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let header = Some("6.6.6.6, 192.0.2.7");
        assert_eq!(
            ClientAddr::resolve(proxy, Some(proxy), header).0,
            ip("192.0.2.7"),
            "the address the proxy appended, not the client's own claim"
        );
        assert_eq!(
            ClientAddr::resolve(ip("192.0.2.9"), Some(proxy), header).0,
            ip("192.0.2.9")
        );
        assert_eq!(ClientAddr::resolve(proxy, None, header).0, proxy);
        assert_eq!(
            ClientAddr::resolve(proxy, Some(proxy), Some("garbage")).0,
            proxy
        );
    }
}
