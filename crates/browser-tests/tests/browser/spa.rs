//! The single-page app on another site (issue 22), in Chromium with its
//! default cookie policy and with third-party cookies allowed: CORS lets
//! the page read its answers, the bearer token works under either policy,
//! the cookies (session-app's, jwt-app's cookie transport) only where the
//! browser keeps third-party cookies, both on the same site; and an origin
//! not on the list is refused by CORS and by the CSRF check.

use browser_tests::{Browser, ThirdPartyCookies, recorder::Recorder};
use serde_json::Value;
use test_support::TestServer;

use crate::servers::{App, Running, attacker, start};

/// The three APIs a page can name, and what each needs to be used from it.
#[derive(Clone, Copy, Debug)]
enum Api {
    Session,
    Bearer,
    JwtCookie,
}

impl Api {
    const ALL: [Self; 3] = [Self::Session, Self::Bearer, Self::JwtCookie];

    fn credential(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Bearer => "bearer",
            Self::JwtCookie => "cookie",
        }
    }

    fn cookie(self) -> bool {
        !matches!(self, Self::Bearer)
    }

    /// The server, with the page's origins allowed, and `SameSite=None`
    /// where a cookie is the credential (what a page on another site needs).
    async fn start(self, recorder: &Recorder, origins: &str) -> Running {
        let allowed = ["--allowed-origins", origins];
        let none = ["--cookie-samesite", "none"];
        match self {
            Self::Session => start(App::Session, recorder, &[&allowed[..], &none].concat()).await,
            Self::Bearer => start(App::Jwt, recorder, &allowed).await,
            Self::JwtCookie => {
                let cookie = ["--token-transport", "cookie"];
                start(App::Jwt, recorder, &[&allowed[..], &none, &cookie].concat()).await
            }
        }
    }
}

/// What the page did, as its script saw it and as the server saw it.
struct Outcome {
    /// `worked` or `failed`: /protected answered 200 to the page.
    done: String,
    rows: Vec<Value>,
    /// Whether GET /protected reached the server with a cookie.
    cookie_sent: bool,
    /// Whether GET /protected reached the server at all.
    arrived: bool,
}

/// Opens the SPA at `page_origin` against `app` and waits for its three requests.
async fn visit(
    browser: &Browser,
    page_origin: &str,
    api: Api,
    app: &Running,
    seen: &Recorder,
    shot: &str,
) -> Outcome {
    let before = seen.of("GET", "/protected").len();
    let api_origin = app.url("").trim_end_matches('/').to_owned();
    browser
        .goto(&format!(
            "{page_origin}/?credential={}&api={api_origin}",
            api.credential()
        ))
        .await;
    browser
        .wait_until("the page's three requests", "document.body.dataset.done")
        .await;
    browser.screenshot(shot).await;
    let done = browser.js("return document.body.dataset.done").await;
    let rows = browser.js("return window.spaResults").await;
    let protected = seen.of("GET", "/protected");
    let new = &protected[before..];
    Outcome {
        done: done.as_str().unwrap_or("").to_owned(),
        rows: rows.as_array().cloned().unwrap_or_default(),
        cookie_sent: new.iter().any(|a| a.cookie),
        arrived: !new.is_empty(),
    }
}

fn field<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or("")
}

/// One run: each API from another site and from the same site, then an
/// origin that is not on the list.
async fn cross_site_spa(cookies: ThirdPartyCookies) {
    let Some(browser) = Browser::start_with(cookies).await else {
        return;
    };
    let spa = TestServer::start(spa::app()).await;
    let port = spa.addr.port();
    let (cross, same) = (
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    );
    let origins = format!("{cross},{same}");
    let policy = cookies.label();

    for api in Api::ALL {
        let seen = Recorder::default();
        let app = api.start(&seen, &origins).await;
        let name = api.credential();

        let out = visit(
            &browser,
            &cross,
            api,
            &app,
            &seen,
            &format!("spa-{policy}-{name}-cross-site"),
        )
        .await;
        let what = format!("{policy}, {name}, from another site: {:#?}", out.rows);
        assert_eq!(out.rows.len(), 3, "{what}");
        for row in &out.rows[..2] {
            assert_eq!(field(row, "preflight"), "passed", "{what}");
        }
        assert_eq!(field(&out.rows[1], "status"), "200", "the login: {what}");
        assert!(out.arrived, "{what}");
        let works = !api.cookie() || cookies == ThirdPartyCookies::Allowed;
        assert_eq!(out.done, if works { "worked" } else { "failed" }, "{what}");
        assert_eq!(
            field(&out.rows[2], "status"),
            if works { "200" } else { "401" },
            "the answer is readable either way (CORS): {what}"
        );
        assert_eq!(
            out.cookie_sent,
            api.cookie() && works,
            "the server saw the cookie exactly when the browser kept it: {what}"
        );

        let out = visit(
            &browser,
            &same,
            api,
            &app,
            &seen,
            &format!("spa-{policy}-{name}-same-site"),
        )
        .await;
        let what = format!("{policy}, {name}, from the same site: {:#?}", out.rows);
        assert_eq!(out.done, "worked", "{what}");
        assert_eq!(out.cookie_sent, api.cookie(), "{what}");
        app.server.stop().await;
    }

    foreign_origin_is_refused(&browser, &origins, policy).await;
    browser.close().await;
}

/// A page on an origin not on the list, on the same site as the API (where
/// the cookie goes along whatever the policy): CORS withholds every answer,
/// and its forged logout meets the CSRF check, cookie and all.
async fn foreign_origin_is_refused(browser: &Browser, origins: &str, policy: &str) {
    let foreign_spa = TestServer::start(spa::app()).await;
    let foreign = format!("http://127.0.0.1:{}", foreign_spa.addr.port());
    let evil = attacker().await;
    for api in [Api::Session, Api::JwtCookie] {
        let seen = Recorder::default();
        let app = api.start(&seen, origins).await;
        let name = api.credential();
        let out = visit(
            browser,
            &foreign,
            api,
            &app,
            &seen,
            &format!("spa-{policy}-{name}-foreign"),
        )
        .await;
        let what = format!("{policy}, {name}, from {foreign}: {:#?}", out.rows);
        assert_eq!(out.done, "failed", "{what}");
        assert!(
            field(&out.rows[0], "preflight").starts_with("refused"),
            "{what}"
        );
        assert!(
            seen.of("POST", "/register").is_empty() && seen.of("POST", "/login").is_empty(),
            "no request behind a refused preflight: {:#?}",
            seen.arrivals()
        );

        // Logged in by the allowed page on the same site, then the
        // attacker's page on another origin of that site.
        let allowed = origins.split(',').nth(1).unwrap_or_default();
        let logged_in = visit(
            browser,
            allowed,
            api,
            &app,
            &seen,
            &format!("spa-{policy}-{name}-before-forgery"),
        )
        .await;
        assert_eq!(logged_in.done, "worked");
        let attacker_origin = format!("http://127.0.0.1:{}", evil.addr.port());
        browser
            .goto(&format!("{attacker_origin}/?target={}", app.url("")))
            .await;
        browser
            .wait_until("the attack", "document.body.dataset.done === 'true'")
            .await;
        let forged: Vec<_> = seen
            .of("POST", "/logout")
            .into_iter()
            .filter(|a| a.origin.as_deref() == Some(attacker_origin.as_str()))
            .collect();
        assert!(!forged.is_empty(), "{:#?}", seen.arrivals());
        for a in &forged {
            assert!(
                a.cookie && a.status == 403,
                "refused by the CSRF check, cookie and all: {a:?}"
            );
        }
        let after = visit(
            browser,
            allowed,
            api,
            &app,
            &seen,
            &format!("spa-{policy}-{name}-after-forgery"),
        )
        .await;
        assert_eq!(
            after.done, "worked",
            "a new login from the allowed page still works"
        );
        app.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_spa_with_the_default_cookie_policy() {
    cross_site_spa(ThirdPartyCookies::Default).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_spa_with_third_party_cookies_allowed() {
    cross_site_spa(ThirdPartyCookies::Allowed).await;
}
