//! `GET /`: the resource server's own workshop page, with its upstream
//! counters live (what each way of trusting the login costs the login
//! server, as `GET /debug/upstream` counts it).

use std::sync::OnceLock;

use auth_core::page::{Served, serve_document};
use axum::response::Response;

const PAGE: &str = include_str!("page/index.html");

pub async fn page() -> Response {
    static SERVED: OnceLock<Served> = OnceLock::new();
    serve_document(&SERVED, || PAGE.to_owned())
}
