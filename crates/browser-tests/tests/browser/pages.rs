//! Each server's own page: what the browser holds after a login, and what a
//! script injected into the page gets out of it.

use browser_tests::{Browser, recorder::Recorder};
use reqwest::StatusCode;
use serde_json::json;
use test_support::{client, unique_email};

use crate::servers::{call, inject, jwt_app, jwt_cookie_app, log_rows, session_app, sign_in};

#[tokio::test(flavor = "multi_thread")]
async fn session_page_holds_nothing_a_script_can_steal() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = session_app(&Recorder::default()).await;
    let email = unique_email("page");
    sign_in(&browser, &app.url("/"), &email).await;

    assert_eq!(browser.js("return document.cookie").await, "");
    assert_eq!(browser.js("return localStorage.length").await, 0);
    assert_eq!(browser.text("#doc-cookie").await, r#""""#);
    // The nearer deadline: SESSION_IDLE_TIMEOUT (30 min) before SESSION_TTL (24 h).
    assert_eq!(browser.text("#max-age").await, "1800 (30 min 0 s)");
    assert_eq!(browser.text("#whoami").await, email);
    protected_goes_with_the_cookie(&browser, &email, "sid").await;

    an_injected_script_steals_nothing(&browser, &app.url("/protected")).await;

    browser.screenshot("session-page").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_page_keeps_a_bearer_token_any_script_can_steal() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = jwt_app(&Recorder::default()).await;
    let email = unique_email("page");
    sign_in(&browser, &app.url("/"), &email).await;

    assert_eq!(browser.js("return document.cookie").await, "");
    let access = browser
        .js("return localStorage.getItem('access_token')")
        .await;
    let access = access.as_str().unwrap().to_owned();
    assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
    let refresh = browser
        .js("return localStorage.getItem('refresh_token')")
        .await;
    assert!(refresh.as_str().is_some_and(|r| r.len() >= 43), "{refresh}");
    let claims = browser.text("#claims").await;
    assert!(
        claims.contains(&format!(r#""email": "{email}""#)),
        "{claims}"
    );
    assert!(claims.contains(r#""typ": "at+jwt""#), "{claims}");
    // Times as a clock and a countdown, not Unix seconds.
    browser
        .wait_until(
            "the countdown",
            "/^\\d\\d:\\d\\d:\\d\\d, in 1[45] min \\d+ s$/.test($('countdown').textContent)",
        )
        .await;
    assert!(
        regex_like(&claims, "\"exp\": ", "  ← ", ", in 1"),
        "exp read out: {claims}"
    );
    assert!(
        regex_like(&claims, "\"iat\": ", "  ← ", " ago")
            || regex_like(&claims, "\"iat\": ", "  ← ", ", now"),
        "iat read out: {claims}"
    );
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    let log = log_rows(&browser).await;
    let bearer = format!(
        "GET /protected | 200 | Authorization: Bearer {}… (added by this page's code) \
         + Cookie: the HttpOnly cookie(s) of this origin, if the browser holds any \
         (jwt-app in header mode reads none; added by the browser, never seen by this page)",
        &access[..16]
    );
    assert!(log.contains(&bearer), "{log:#?}");

    let loot = inject(&browser).await;
    assert_eq!(loot["document.cookie"], "");
    assert_eq!(loot["localStorage"]["access_token"], access.as_str());
    assert_eq!(loot["localStorage"]["refresh_token"], refresh);
    // Measured: the stolen token, replayed from the page without cookies.
    assert_eq!(browser.js("return $('xss').dataset.usable").await, "true");
    let verdict = browser.text("#verdict").await;
    assert!(
        verdict.starts_with(
            "A working bearer token: replayed from the page with no cookie, GET /protected → 200."
        ),
        "{verdict}"
    );
    assert!(browser.in_view("#verdict").await, "the verdict is in view");
    let replays = browser.text("#replays").await;
    assert!(
        replays
            .contains("access_token (this page's, in localStorage): replayed from the page → 200"),
        "{replays}"
    );
    assert!(
        replays.contains(
            "refresh_token (this page's, in localStorage): not replayed (POST /refresh spends it"
        ),
        "{replays}"
    );
    let log = log_rows(&browser).await;
    let replayed = format!(
        "GET /protected | 200 | Authorization: Bearer {}… (added by the injected script: the stolen value) \
         + no cookie (credentials: \"omit\")",
        &access[..16]
    );
    assert!(log.contains(&replayed), "{log:#?}");
    browser
        .screenshot_viewport("jwt-page-injected-as-seen")
        .await;
    let curl = browser.text("#curl").await;
    assert!(
        curl.starts_with(&format!(
            "curl -i -H 'Authorization: Bearer {access}' {}",
            app.url("/protected")
        )),
        "{curl}"
    );
    browser.screenshot("jwt-page").await;

    // The attacker's own client, with what the script sent out.
    let replay = || {
        client()
            .get(app.url("/protected"))
            .bearer_auth(&access)
            .send()
    };
    let res = replay().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["email"], email.as_str());
    // The victim logs out; the stolen token does not notice (no denylist).
    browser.click("#logout").await;
    browser
        .wait_until(
            "the logout",
            "$('answer').textContent.startsWith('POST /logout → 204')",
        )
        .await;
    assert_eq!(browser.js("return localStorage.length").await, 0);
    assert_eq!(replay().await.unwrap().status(), StatusCode::OK);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_cookie_page_holds_nothing_a_script_can_steal() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = jwt_cookie_app(&Recorder::default()).await;
    let email = unique_email("page");
    sign_in(&browser, &app.url("/"), &email).await;

    assert_eq!(
        browser.js("return document.body.dataset.transport").await,
        "cookie"
    );
    assert_eq!(browser.js("return document.cookie").await, "");
    assert_eq!(browser.js("return localStorage.length").await, 0);
    assert_eq!(browser.text("#doc-cookie").await, r#""""#);
    assert_eq!(browser.text("#storage").await, "{}");
    browser
        .wait_until(
            "the countdown",
            "/^\\d\\d:\\d\\d:\\d\\d, in 1[45] min \\d+ s$/.test($('countdown').textContent)",
        )
        .await;
    protected_goes_with_the_cookie(&browser, &email, "access_token").await;

    an_injected_script_steals_nothing(&browser, &app.url("/protected")).await;
    browser.screenshot("jwt-cookie-page").await;

    // Refresh and logout carry no token in their bodies: the browser sends
    // the cookies, the refresh one only to /refresh.
    browser.click("#refresh").await;
    browser
        .wait_until(
            "the refresh",
            "$('answer').textContent.startsWith('POST /refresh → 200')",
        )
        .await;
    assert!(!browser.text("#answer").await.contains("token\""));
    assert_eq!(browser.js("return document.cookie").await, "");
    browser.click("#logout").await;
    browser
        .wait_until(
            "the logout",
            "$('answer').textContent.startsWith('POST /logout → 204')",
        )
        .await;
    let after = call(&browser, "/protected").await;
    assert!(after.starts_with("GET /protected → 401"), "{after}");
    browser.close().await;
}

/// `/protected` from the page answers the signed-in user, and the log says
/// the cookie `cookie` went, added by the browser.
async fn protected_goes_with_the_cookie(browser: &Browser, email: &str, cookie: &str) {
    let answer = call(browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    assert!(answer.contains(&format!("Hello {email}")), "{answer}");
    let log = log_rows(browser).await;
    let row = format!(
        "GET /protected | 200 | Cookie: the HttpOnly cookie(s) of this origin, if the browser \
         holds any ({cookie}=… after a login here; added by the browser, never seen by this page)"
    );
    assert!(log.contains(&row), "{log:#?}");
}

/// The injected script finds no credential (HttpOnly cookies, nothing in
/// storage), and the curl the page offers, replayed from here, logs nobody
/// in at `protected`; yet the script acts as the user while the page is open.
async fn an_injected_script_steals_nothing(browser: &Browser, protected: &str) {
    let loot = inject(browser).await;
    assert_eq!(
        loot,
        json!({"document.cookie": "", "localStorage": {}}),
        "an injected script finds no credential"
    );
    assert_eq!(browser.js("return $('xss').dataset.usable").await, "false");
    let verdict = browser.text("#verdict").await;
    assert!(
        verdict.starts_with("Nothing usable")
            && verdict.ends_with("Replayed from the page without cookies, the curl gets 401."),
        "{verdict}"
    );
    assert!(browser.in_view("#verdict").await, "the verdict is in view");
    let stolen = client()
        .get(protected)
        .header("cookie", "")
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
    assert!(
        browser
            .text("#in-page")
            .await
            .contains("(see the Exchanges): 200"),
        "{}",
        browser.text("#in-page").await
    );
}

/// Whether `text` holds `start`, then (after some characters) `middle`,
/// then `end`, on one line.
fn regex_like(text: &str, start: &str, middle: &str, end: &str) -> bool {
    text.lines().any(|line| {
        line.find(start)
            .and_then(|i| line[i..].find(middle).map(|j| i + j))
            .is_some_and(|j| line[j..].contains(end))
    })
}
