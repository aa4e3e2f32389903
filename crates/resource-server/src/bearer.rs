//! Jwt mode: jwt-app's own access-token check ([`jwt_app::bearer::check`]),
//! the same rules and RFC 6750 answers, with the keys fetched from jwt-app
//! and, with `DENYLIST=redis`, jwt-app's own denylist reader on its Redis.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use jwt_app::{Denylist, TokenTransport, Transport, bearer::check};

use crate::jwks::RemoteKeys;

#[derive(Clone)]
pub struct TokenCheck {
    pub keys: Arc<RemoteKeys>,
    /// `None` with `DENYLIST=off`: then no request asks anything of anyone.
    pub denylist: Option<Arc<dyn Denylist>>,
}

/// The check in front of the notes in jwt mode.
pub async fn require_token(State(tokens): State<TokenCheck>, req: Request, next: Next) -> Response {
    // The bearer header only: a cookie would need the CSRF check, and this
    // server has no page to send one from.
    let transport = Transport::new(TokenTransport::Header, false);
    check(
        tokens.keys.as_ref(),
        tokens.denylist.as_deref(),
        transport,
        req,
        next,
    )
    .await
}
