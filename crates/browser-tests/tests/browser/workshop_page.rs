//! `just workshop`'s side-by-side page (issue 19): both apps' own pages in
//! frames on their own origins, driven by one control, with what each
//! server received (its request inspector) live underneath; the attacker's
//! page measuring its verdicts from that inspector; the resource server's
//! own page with its counters live.

use std::net::SocketAddr;

use browser_tests::{Browser, recorder::Recorder};
use clap::Parser;
use test_support::{TestServer, unique_email};

use crate::servers::{App, Running, sign_in, start};

/// The side-by-side page and the servers it shows, each with its inspector
/// on and the apps framed by the page's origin only.
struct Workshop {
    page: TestServer,
    session: Running,
    // Kept running for the page: its column frames it.
    _jwt: Running,
    evil: TestServer,
}

impl Workshop {
    async fn start(recorder: &Recorder) -> Self {
        // The apps must name the page's origin before the page exists.
        let port = contract_client::free_port().unwrap();
        let origin = format!("http://127.0.0.1:{port}");
        let flags = ["--inspect", "--workshop-origin", origin.as_str()];
        let session = start(App::Session, recorder, &flags).await;
        let jwt = start(App::Jwt, recorder, &flags).await;
        let evil = TestServer::start(attacker::inspected_app()).await;
        let config = workshop::Config::try_parse_from([
            "workshop".to_owned(),
            "--port".to_owned(),
            port.to_string(),
            "--session-app-url".to_owned(),
            session.url(""),
            "--jwt-app-url".to_owned(),
            jwt.url(""),
            // Nothing runs there: the page says so and goes on.
            "--resource-server-url".to_owned(),
            format!("http://127.0.0.1:{}", contract_client::free_port().unwrap()),
            "--attacker-url".to_owned(),
            evil.url(""),
        ])
        .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let page = TestServer::start_on(addr, workshop::app(&config).unwrap()).await;
        Self {
            page,
            session,
            _jwt: jwt,
            evil,
        }
    }
}

/// Waits until both columns report `action` done by their frame.
async fn both_did(browser: &Browser, action: &str) {
    browser
        .wait_until(
            &format!("both frames reporting {action}"),
            &format!(
                "[...document.querySelectorAll('section.column')]
                    .every(c => c.dataset.lastAction === {action:?})"
            ),
        )
        .await;
}

/// Clicks the page's control for `action` and waits for both frames.
async fn run_on_both(browser: &Browser, action: &str) {
    browser
        .click(&format!("button[data-action={action:?}]"))
        .await;
    both_did(browser, action).await;
}

/// The inspector row of `server` for `method path` with `status`, waited for.
fn row(server: &str, method: &str, path: &str, status: u16) -> String {
    format!(
        "document.querySelector('section[data-server=\"{server}\"] \
         tr[data-method=\"{method}\"][data-path=\"{path}\"][data-status=\"{status}\"]')"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn one_control_drives_both_columns_and_each_inspector_shows_its_credential() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let w = Workshop::start(&seen).await;
    browser.goto(&w.page.url("/")).await;
    both_did(&browser, "load").await;
    assert_eq!(browser.text("#wrong-origin").await, "");

    browser.fill("#email", &unique_email("side")).await;
    run_on_both(&browser, "register").await;
    run_on_both(&browser, "login").await;
    browser
        .wait_until(
            "both signed in, as each server says",
            "[...document.querySelectorAll('section.column')]
                .every(c => c.dataset.whoamiStatus === '200')",
        )
        .await;
    run_on_both(&browser, "GET /protected").await;

    // Each server saw its own credential: the cookie the browser added to
    // session-app's request, the header jwt-app's page added.
    let session_row = row("session-app", "GET", "/protected", 200);
    let jwt_row = row("jwt-app", "GET", "/protected", 200);
    browser
        .wait_until(
            "both inspectors showing GET /protected",
            &format!("{session_row} && {jwt_row}"),
        )
        .await;
    let session_text = browser
        .js(&format!("return {session_row}.textContent"))
        .await;
    let jwt_text = browser.js(&format!("return {jwt_row}.textContent")).await;
    let (session_text, jwt_text) = (session_text.as_str().unwrap(), jwt_text.as_str().unwrap());
    assert!(session_text.contains("Cookie sid ("), "{session_text}");
    assert!(!session_text.contains("Authorization"), "{session_text}");
    assert!(jwt_text.contains("Authorization Bearer ("), "{jwt_text}");
    assert!(!jwt_text.contains("Cookie access_token"), "{jwt_text}");
    // Both logins were real: each server answered its own page.
    assert_eq!(seen.of("POST", "/login").len(), 2);
    assert_eq!(seen.of("GET", "/protected").len(), 2);
    let down = browser
        .text("section[data-server='resource-server'] .state")
        .await;
    assert!(down.contains("is the server running"), "{down}");

    browser.screenshot("workshop-side-by-side").await;
    browser.click("#large-type").await;
    browser
        .screenshot_viewport("workshop-side-by-side-large")
        .await;
    browser.click("#large-type").await;

    run_on_both(&browser, "logout").await;
    browser
        .wait_until(
            "both signed out, as each server says",
            "[...document.querySelectorAll('section.column')]
                .every(c => c.dataset.whoamiStatus === '401')",
        )
        .await;
    browser.close().await;
    w.page.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_shows_the_forged_logout_with_its_cookie_and_the_403() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let w = Workshop::start(&seen).await;
    sign_in(&browser, &w.session.url("/"), &unique_email("forged")).await;

    // The attacker's page on the same site (127.0.0.1, another port).
    browser
        .goto(&format!("{}/?target={}", w.evil.url(""), w.session.url("")))
        .await;
    browser
        .wait_until("the attack", "document.body.dataset.done === 'true'")
        .await;
    for n in [1, 2] {
        let banner = browser
            .js(&format!(
                "const b = $('verdict-{n}'); return [b.dataset.state, b.dataset.status, b.dataset.cookies, b.textContent]"
            ))
            .await;
        assert_eq!(banner[0], "refused", "frame {n}: {banner}");
        assert_eq!(banner[1], "403", "frame {n}: {banner}");
        assert_eq!(banner[2], "sid", "frame {n}: {banner}");
    }
    let never = browser.js("return $('verdict-3').dataset.state").await;
    assert_eq!(
        never, "not-sent",
        "the PUT needs a preflight it does not get"
    );
    let alive = browser
        .js("return [$('verdict-4').dataset.status, $('verdict-4').dataset.cookies]")
        .await;
    assert_eq!(alive, serde_json::json!(["200", "sid"]));
    // What the banners say is what the server recorded.
    let forged = seen.of("POST", "/logout");
    assert!(
        forged.len() == 2 && forged.iter().all(|a| a.cookie && a.status == 403),
        "{forged:#?}"
    );
    browser.screenshot("attacker-verdicts").await;

    browser.goto(&w.page.url("/")).await;
    let forged_row = row("session-app", "POST", "/logout", 403);
    browser
        .wait_until("the forged logout in session-app's inspector", &forged_row)
        .await;
    let text = browser
        .js(&format!("return {forged_row}.textContent"))
        .await;
    let text = text.as_str().unwrap();
    assert!(text.contains("Cookie sid ("), "{text}");
    assert!(
        text.contains(&format!("Origin {}", w.evil.url("").trim_end_matches('/'))),
        "{text}"
    );
    assert!(text.contains("Sec-Fetch-Site same-site"), "{text}");
    // The attacker's own server shows its page being fetched.
    browser
        .wait_until(
            "the attacker page's visit",
            &row("attacker", "GET", "/", 200),
        )
        .await;
    browser.screenshot_viewport("workshop-forged-logout").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resource_server_page_shows_its_upstream_counters_live() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let session = start(App::Session, &seen, &[]).await;
    let config = resource_server::Config::try_parse_from([
        "resource-server",
        "--mode",
        "session",
        "--session-app-url",
        &session.url(""),
        "--upstream-stats",
    ])
    .unwrap();
    let api = TestServer::start(resource_server::app(config).await.unwrap()).await;
    // Signed in on session-app's page: its cookie is the browser's for
    // 127.0.0.1, whatever the port.
    sign_in(&browser, &session.url("/"), &unique_email("notes")).await;
    browser.goto(&api.url("/")).await;
    browser
        .wait_until("the counters", "$('counters').dataset.status === '200'")
        .await;
    assert_eq!(browser.text("#mode").await, "session");
    assert_eq!(browser.text("#introspections").await, "0");
    browser.click("button[data-path='/notes']").await;
    browser
        .wait_until(
            "GET /notes",
            "$('answer').textContent.startsWith('GET /notes → 200')",
        )
        .await;
    browser
        .wait_until(
            "the counters moving without a reload",
            "$('introspections').textContent === '1' && $('verified_requests').textContent === '1'",
        )
        .await;
    browser.screenshot_viewport("resource-server-page").await;
    browser.close().await;
}
