//! An account whose name is markup: the pages show it as text, and the
//! markup's script never runs.

use browser_tests::{Browser, recorder::Recorder};

use crate::servers::{call, jwt_app, session_app, sign_in};

/// Passes the server's email rules (a quoted local part, RFC 5322, without
/// spaces: bare `<` and `>` are refused since issue 21), and runs its script
/// if a page ever puts it in innerHTML (checked below, so the test is not
/// vacuous).
const PAYLOAD: &str = "\"<img/src='x'/onerror='window.__xss=1'>\"@x.io";

async fn renders_as_text(browser: &Browser, page: &str) {
    sign_in(browser, page, PAYLOAD).await;
    let answer = call(browser, "/profile").await;
    // As the JSON of the answer writes it (its quotes escaped).
    let in_json = serde_json::Value::from(PAYLOAD).to_string();
    assert!(answer.contains(&in_json), "{answer}");
    assert_eq!(browser.text("#whoami").await, PAYLOAD);
    assert_eq!(
        browser
            .js("return document.querySelectorAll('img').length")
            .await,
        0
    );
    // An image error fires within a moment of insertion.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        browser.js("return typeof window.__xss").await,
        "undefined",
        "no script of the account name ran"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_named_with_markup_shows_as_text() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let (session, jwt) = (session_app(&recorder).await, jwt_app(&recorder).await);

    renders_as_text(&browser, &jwt.url("/")).await;
    renders_as_text(&browser, &session.url("/")).await;
    browser.screenshot("stored-xss-as-text").await;

    // The control: the same string through innerHTML is a live handler,
    // which the page's policy refuses (and reports) instead of running.
    browser
        .js(
            "window.__violations = []; document.addEventListener('securitypolicyviolation', \
             e => window.__violations.push(e.effectiveDirective)); return null;",
        )
        .await;
    browser
        .js(&format!(
            "document.body.insertAdjacentHTML('beforeend', {}); return null;",
            serde_json::Value::from(PAYLOAD)
        ))
        .await;
    browser
        .wait_until(
            "the policy refusing the payload's handler",
            "window.__violations.some(d => d.startsWith('script-src'))",
        )
        .await;
    assert_eq!(
        browser.js("return typeof window.__xss").await,
        "undefined",
        "the payload's handler did not run"
    );
    browser.close().await;
}
