//! `GET /`: the workshop page of jwt-app (the shared page of
//! `auth_core::page`, with what is particular to tokens the page keeps).

use std::sync::OnceLock;

use auth_core::page::{Page, Served};
use axum::{extract::State, response::Response};

use crate::transport::Transport;

/// The script picks how it keeps and sends the tokens by `transport`: one
/// script, one entry of its `transports` per `Page` here.
const HEADER: Page = Page {
    app: "jwt",
    transport: "header",
    title: "jwt-app: the workshop page",
    intro: include_str!("page/header-intro.html"),
    holds: include_str!("page/header-holds.html"),
    buttons: REFRESH_BUTTON,
    css: "",
    js: include_str!("page/app.js"),
};

const COOKIE: Page = Page {
    transport: "cookie",
    title: "jwt-app (cookie transport): the workshop page",
    intro: include_str!("page/cookie-intro.html"),
    holds: include_str!("page/cookie-holds.html"),
    ..HEADER
};

const REFRESH_BUTTON: &str = r#"<button id="refresh" type="button">POST /refresh</button>"#;

/// The page of the transport this server runs: a header page against a
/// cookie server would send tokens it never gets.
pub async fn page(State(transport): State<Transport>) -> Response {
    static HEADER_PAGE: OnceLock<Served> = OnceLock::new();
    static COOKIE_PAGE: OnceLock<Served> = OnceLock::new();
    if transport.in_cookies() {
        COOKIE.serve(&COOKIE_PAGE)
    } else {
        HEADER.serve(&HEADER_PAGE)
    }
}
