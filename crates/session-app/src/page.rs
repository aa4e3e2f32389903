//! `GET /`: the workshop page of session-app (the shared page of
//! `auth_core::page`, with what is particular to a session cookie).

use std::sync::OnceLock;

use auth_core::page::{Page, Served};
use axum::response::Response;

const PAGE: Page = Page {
    app: "session",
    transport: "cookie",
    title: "session-app: the workshop page",
    intro: include_str!("page/intro.html"),
    holds: include_str!("page/holds.html"),
    buttons: "",
    css: "",
    js: include_str!("page/app.js"),
};

pub async fn page() -> Response {
    static SERVED: OnceLock<Served> = OnceLock::new();
    PAGE.serve(&SERVED)
}
