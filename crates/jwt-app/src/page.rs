//! `GET /`: the workshop page of jwt-app (the shared page of
//! `auth_core::page`, with what is particular to tokens the page keeps).

use std::sync::OnceLock;

use auth_core::page::Page;
use axum::response::Html;

/// The page of the bearer-header transport. The script picks how it keeps
/// and sends the tokens by `transport`, so that a cookie transport is one
/// more entry in its `transports` and one more `Page` here.
const HEADER: Page = Page {
    app: "jwt",
    transport: "header",
    title: "jwt-app: the workshop page",
    intro: include_str!("page/intro.html"),
    holds: include_str!("page/holds.html"),
    buttons: r#"<button id="refresh" type="button">POST /refresh</button>"#,
    css: "",
    js: include_str!("page/app.js"),
};

pub async fn page() -> Html<&'static str> {
    static ASSEMBLED: OnceLock<String> = OnceLock::new();
    HEADER.html(&ASSEMBLED)
}
