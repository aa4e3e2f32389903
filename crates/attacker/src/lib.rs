//! The workshop's pages of other sites: the attacker's page, which the
//! logged-in user visits and which sends state-changing requests to the
//! servers on the user's behalf (CSRF) and shows what came of them; and a
//! single-page app the servers let in with ALLOWED_ORIGINS ([`spa`]).

pub mod spa;

use axum::{Router, response::Html, routing::get};

const PAGE: &str = include_str!("page/index.html");

/// The attacker's server: one page, whose target is a query parameter
/// (`/?target=http://127.0.0.1:3001`), so that it can aim at session-app or
/// at jwt-app in either transport, on any port.
pub fn app() -> Router {
    Router::new().route("/", get(|| async { Html(PAGE) }))
}
