//! The workshop's single-page app on another site (`just run-spa`,
//! http://localhost:5173, where SPA dev servers listen): a page that
//! registers, logs in and calls `/protected` on an API named in its URL
//! (`?credential=session|bearer|cookie&api=http://127.0.0.1:3001`) and shows,
//! for each request, whether the preflight passed, whether the cookie was
//! stored and sent, and the status. Served from http://127.0.0.1:5173 it is
//! the same site as the servers, on another port.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/spa.js");
const STYLE: &str = include_str!("page/spa.css");

/// Its own script and style only; requests to the loopback servers on any
/// port (the API is a query parameter); nothing else, and no network beyond
/// this machine.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src http://127.0.0.1:* http://localhost:* http://[::1]:*; \
    form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { with_policy(Html(PAGE)) }))
        .route(
            "/spa.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], SCRIPT) }),
        )
        .route(
            "/spa.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], STYLE) }),
        )
}

fn with_policy(page: Html<&'static str>) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        page,
    )
}
