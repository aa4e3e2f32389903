//! The attacker's page of the workshop: another site the logged-in user
//! visits, which sends state-changing requests to the servers on the user's
//! behalf (CSRF) and shows what came of them.

use axum::{Router, response::Html, routing::get};

const PAGE: &str = include_str!("page/index.html");

/// The attacker's server: one page, whose target is a query parameter
/// (`/?target=http://127.0.0.1:3001`), so that it can aim at session-app or
/// at jwt-app in either transport, on any port.
pub fn app() -> Router {
    Router::new().route("/", get(|| async { Html(PAGE) }))
}
