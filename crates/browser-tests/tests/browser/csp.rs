//! The pages' Content-Security-Policy (issue 21, finding 4), in Chromium:
//! each page works under it without one violation (its own script and style
//! pass by their hashes, checked as loaded), a handler injected into the page is refused and
//! reported, and no other page may frame it.

use browser_tests::{Browser, recorder::Recorder};
use serde_json::Value;

use crate::servers::{Running, call, inject, jwt_app, jwt_cookie_app, session_app, sign_in};

/// Collects the page's CSP violations from now on, in `window.__violations`.
const LISTEN: &str = "window.__violations = []; \
    document.addEventListener('securitypolicyviolation', \
      e => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI)); \
    return null;";

async fn violations(browser: &Browser) -> Vec<String> {
    serde_json::from_value(browser.js("return window.__violations").await).unwrap()
}

/// The policy `GET /` answers with.
async fn policy(server: &Running) -> String {
    let res = reqwest::get(server.url("/")).await.unwrap();
    res.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn works_under_its_policy(browser: &Browser, server: &Running, name: &str) {
    let policy = policy(server).await;
    for directive in [
        "default-src 'none'",
        "script-src 'sha256-",
        "style-src 'sha256-",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(
            policy.contains(directive),
            "{name}: {directive} in {policy:?}"
        );
    }
    assert!(!policy.contains("unsafe-inline"), "{name}: {policy}");

    sign_in(
        browser,
        &server.url("/"),
        &test_support::unique_email("csp"),
    )
    .await;
    // The page's own style and script passed the policy while it loaded
    // (before any listener): the script ran (sign_in used its buttons), and
    // the stylesheet holds rules; one refused by the policy holds none.
    assert_eq!(
        browser
            .js("const s = document.querySelector('style').sheet; \
                 return s !== null && s.cssRules.length > 0;")
            .await,
        Value::from(true),
        "{name}: the page's own style was refused"
    );
    // From here on every violation is caught: the page's own flows make none.
    browser.js(LISTEN).await;
    call(browser, "/profile").await;
    call(browser, "/protected").await;
    inject(browser).await;
    browser.click("#large-type").await;
    browser.click("#large-type").await;
    assert_eq!(violations(browser).await, Vec::<String>::new(), "{name}");

    // A handler injected into the page (what a stored XSS would plant) is
    // refused by the policy, and the refusal is reported.
    browser
        .js("document.body.insertAdjacentHTML('beforeend', \
             '<img src=\"/no-such-image\" onerror=\"window.__ran = 1\">'); return null;")
        .await;
    browser
        .wait_until(
            "the policy's report of the injected handler",
            "window.__violations.some(v => v.startsWith('script-src'))",
        )
        .await;
    assert_eq!(
        browser.js("return typeof window.__ran").await,
        Value::from("undefined"),
        "{name}: the injected handler ran"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_works_under_its_policy_and_an_injected_handler_does_not_run() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let session = session_app(&recorder).await;
    let jwt = jwt_app(&recorder).await;
    let cookie = jwt_cookie_app(&recorder).await;
    works_under_its_policy(&browser, &session, "session-app").await;
    works_under_its_policy(&browser, &jwt, "jwt-app").await;
    works_under_its_policy(&browser, &cookie, "jwt-app (cookie)").await;
    browser.close().await;
}
