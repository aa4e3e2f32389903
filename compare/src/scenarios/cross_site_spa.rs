//! Row 11: Cross-site SPA: a page on another site and a native client (no
//! browser) using the same API, with `ALLOWED_ORIGINS` set (issue 22).

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::{Cell, Metric},
};
use contract_client::client::Request;
use reqwest::Method;

pub const SCENARIO: Scenario = Scenario {
    id: "cross-site-spa",
    title: "Cross-site SPA and native client",
    claim: "JWTs suit single-page apps, cross-domain APIs and mobile apps; sessions suit \
            server-rendered sites.",
    lesson: "With ALLOWED_ORIGINS every column answers the page's preflight alike (CORS is \
             the server's to grant, whatever the credential), and refuses a foreign origin's. \
             A native client keeps either credential: a cookie jar for the cookie, a header \
             for the bearer token, and with a JWT a refresh flow besides. What differs is the \
             browser: the cookie a page on another site needs is SameSite=None; Secure, a \
             third-party cookie, and the browser tests measured Chromium's default never \
             storing it (the page's /protected: 401) and, with third-party cookies allowed, \
             storing and sending it (200); the bearer token worked under both. Safari blocks \
             such cookies by default, Firefox partitions them. On one site (the page on \
             127.0.0.1, another port) the session cookie worked in every run.",
    measure: &Each(one),
};

const PAGE: &str = "http://localhost:5173";
const FOREIGN: &str = "https://evil.example";

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let mut flags = vec!["--allowed-origins", PAGE];
    if config.in_cookie() {
        flags.extend(["--cookie-samesite", "none"]);
    }
    let server = lab.start(config, &flags).await?;
    let http = lab.http(config)?;

    lab.note(
        config.name,
        &format!("the page on {PAGE} asks before POST /login with a JSON body:"),
    );
    let preflight = |origin: &str| {
        http.call(&server, Request::new(Method::OPTIONS, "/login"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
    };
    let allowed = preflight(PAGE).send().await?;
    let header = |name: &str| {
        allowed
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let allow_origin = header("access-control-allow-origin");
    let credentials = header("access-control-allow-credentials") == "true";
    lab.note(config.name, &format!("a page on {FOREIGN} asks the same:"));
    let foreign = preflight(FOREIGN).send().await?;
    let foreign_cors = foreign
        .headers
        .keys()
        .filter(|n| n.as_str().starts_with("access-control-"))
        .count();

    lab.note(
        config.name,
        "a native client (no browser, no CORS, no cookie policy) logs in and keeps what it gets:",
    );
    let email = http::register(&http, &server, "spa").await?;
    let (credential, login) = http::login(&http, &server, &email).await?;
    let (_, pair) = credential.header();
    let needs = if credential.is_cookie() {
        let name = pair.split_once('=').map_or("", |(n, _)| n);
        let attributes = login
            .set_cookie(name)
            .map(|c| {
                c.split(';')
                    .skip(1)
                    .map(str::trim)
                    .filter(|a| a.starts_with("SameSite") || a.eq_ignore_ascii_case("Secure"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        format!("cookie {attributes} · native: a cookie jar")
    } else {
        "no cookie · native: the Authorization header".to_owned()
    };
    let refresh = match login.json()["refresh_expires_in"].as_u64() {
        Some(_) => {
            let every = login.json()["expires_in"].as_u64().unwrap_or(0);
            format!("refresh every {} min", every / 60)
        }
        None => "no refresh: log in again".to_owned(),
    };
    lab.note(config.name, "the native client calls /protected with it:");
    let native = http::status(&http, &server, "/protected", &credential).await?;
    let bytes = credential.header_bytes();

    let ok = allowed.status == 200
        && allow_origin == PAGE
        && credentials == config.in_cookie()
        && foreign_cors == 0
        && native == 200;
    Ok(Cell::new(
        format!(
            "preflight {}{} · foreign: {} · {needs} ({bytes} B), {refresh} → {native}",
            allowed.status,
            if credentials { " + credentials" } else { "" },
            if foreign_cors == 0 {
                "no CORS".to_owned()
            } else {
                format!("{foreign_cors} CORS headers")
            },
        ),
        native,
        ok,
    )
    .status("preflight", allowed.status)
    .status(
        "foreign_cors_headers",
        u16::try_from(foreign_cors).unwrap_or(u16::MAX),
    )
    .with(Metric::CredentialBytes, bytes as f64))
}
