//! The pages tell what the server says and what was measured, as the
//! workshop runs them in one browser: the same origin reused by another
//! transport, a server restarted under a page, a logout the server refused.

use browser_tests::{Browser, recorder::Recorder};
use test_support::unique_email;

use crate::servers::{
    App, call, inject, jwt_app, log_in, log_rows, open, session_app, sign_in, start,
};

/// `just run-jwt`, a login, Ctrl-C, `just run-jwt-cookie` on the same port:
/// the header mode's tokens are still in the origin's localStorage. The
/// cookie page's injected script replays them and measures 401: left over,
/// not a working token.
#[tokio::test(flavor = "multi_thread")]
async fn cookie_page_replays_the_header_modes_left_overs_and_measures_401() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let header = jwt_app(&recorder).await;
    let email = unique_email("leftover");
    sign_in(&browser, &header.url("/"), &email).await;
    let access = browser
        .js("return localStorage.getItem('access_token')")
        .await;
    let access = access.as_str().unwrap().to_owned();

    let cookie = header
        .restart_as(App::Jwt, &recorder, &["--token-transport", "cookie"])
        .await;
    assert_eq!(open(&browser, &cookie.url("/")).await, "nobody");
    assert_eq!(
        browser.js("return document.body.dataset.transport").await,
        "cookie"
    );
    // Logged in on this page too: the in-page 200 is the cookie's, not the
    // left-over token's.
    log_in(&browser, &email).await;
    assert_eq!(browser.text("#whoami").await, email);
    let storage = browser.text("#storage").await;
    assert!(
        storage.ends_with(
            "access_token: not this page's, left over from header mode\n\
             refresh_token: not this page's, left over from header mode"
        ),
        "{storage}"
    );

    let loot = inject(&browser).await;
    assert_eq!(loot["localStorage"]["access_token"], access.as_str());
    assert_eq!(browser.js("return $('xss').dataset.usable").await, "false");
    let verdict = browser.text("#verdict").await;
    assert!(
        verdict.starts_with(
            "Nothing usable: access_token, left over from header mode: replayed → 401"
        ),
        "{verdict}"
    );
    assert!(
        verdict.contains("refresh_token, left over from header mode: replayed → 400"),
        "{verdict}"
    );
    assert!(!verdict.contains("working"), "{verdict}");
    assert_eq!(
        browser.js("return $('verdict').className").await,
        "verdict good"
    );
    let replays = browser.text("#replays").await;
    assert!(
        replays.contains("access_token, left over from header mode: replayed from the page → 401"),
        "{replays}"
    );
    assert!(browser.in_view("#verdict").await, "the verdict is in view");

    // The log names what went: the stolen header and no cookie for the
    // replay; the browser's cookies for the payload's in-page call.
    let log = log_rows(&browser).await;
    let replayed = format!(
        "GET /protected | 401 | Authorization: Bearer {}… (added by the injected script: the stolen value) \
         + no cookie (credentials: \"omit\")",
        &access[..16]
    );
    assert!(log.contains(&replayed), "{log:#?}");
    let in_page = "GET /profile | 200 | Cookie: the HttpOnly cookie(s) of this origin, if the browser \
                   holds any (access_token=… after a login here; added by the browser, never seen by this page)";
    assert!(log.iter().any(|r| r == in_page), "{log:#?}");
    assert!(
        browser
            .text("#in-page")
            .await
            .contains("GET /profile with what the page sends (see the Exchanges): 200"),
    );
    // What the server received from the replay: the header, no cookie.
    let protected = recorder.of("GET", "/protected");
    let last = protected.last().unwrap();
    assert!(
        last.authorization && !last.cookie && last.status == 401,
        "{last:?}"
    );

    browser
        .screenshot_viewport("jwt-cookie-left-overs-as-seen")
        .await;
    browser.screenshot("jwt-cookie-left-overs").await;
    browser.close().await;
}

/// session-app with the sessions in the database, restarted under an open
/// page: the reload shows the live login, as the server says it.
#[tokio::test(flavor = "multi_thread")]
async fn session_page_shows_the_live_login_after_a_restart() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let store = ["--session-store", "db"];
    let app = start(App::Session, &recorder, &store).await;
    assert_eq!(open(&browser, &app.url("/")).await, "nobody");
    assert_eq!(browser.text("#whoami-request").await, "GET /session → 401");
    let email = unique_email("restart");
    sign_in(&browser, &app.url("/"), &email).await;

    // The login answer stays, the automatic /session goes to its own panel.
    let answer = browser.text("#answer").await;
    assert!(answer.starts_with("POST /login → 200\n"), "{answer}");
    assert!(answer.contains("cache-control: no-store"), "{answer}");
    assert!(
        answer.contains(&format!("\"email\": \"{email}\"")),
        "{answer}"
    );
    assert!(!answer.to_lowercase().contains("set-cookie"), "{answer}");
    let note = browser.text("#answer-note").await;
    assert!(
        note.contains("Set-Cookie is not among these headers")
            && note.contains("Application → Cookies"),
        "{note}"
    );
    assert_eq!(browser.text("#whoami-request").await, "GET /session → 200");
    let detail = browser.text("#whoami-detail").await;
    assert!(
        detail.starts_with("(role user; the server's session record expires ")
            && detail.contains(", in "),
        "{detail}"
    );

    let app = app.restart_as(App::Session, &recorder, &store).await;
    assert_eq!(open(&browser, &app.url("/")).await, email);
    browser.screenshot("session-page-after-restart").await;
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    browser.close().await;
}

/// The forget button clears what scripts reach, says what it could not
/// (the HttpOnly cookie), and the server still knows the login.
#[tokio::test(flavor = "multi_thread")]
async fn forget_clears_what_scripts_reach_and_names_what_it_cannot() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let (session, jwt) = (session_app(&recorder).await, jwt_app(&recorder).await);

    // The jwt page: its tokens in localStorage, gone; a readable cookie too.
    let email = unique_email("forget");
    sign_in(&browser, &jwt.url("/"), &email).await;
    browser
        .js("document.cookie = 'theme=dark; Path=/'; return null;")
        .await;
    browser.click("#forget").await;
    browser
        .wait_until("the forget button", "$('forget-result').textContent !== ''")
        .await;
    let said = browser.text("#forget-result").await;
    assert!(
        said.starts_with("Cleared: localStorage access_token, refresh_token; cookies theme."),
        "{said}"
    );
    assert!(
        said.contains("Not cleared: the HttpOnly cookie(s)"),
        "{said}"
    );
    assert_eq!(browser.js("return localStorage.length").await, 0);
    assert_eq!(browser.js("return document.cookie").await, "");
    browser
        .wait_until("who is signed in", "$('whoami').textContent === 'nobody'")
        .await;

    // The session page: nothing a script reaches; the cookie stays, and
    // the server still says who is signed in.
    sign_in(&browser, &session.url("/"), &unique_email("forget")).await;
    browser.click("#forget").await;
    browser
        .wait_until("the forget button", "$('forget-result').textContent !== ''")
        .await;
    let said = browser.text("#forget-result").await;
    assert!(
        said.starts_with("Cleared: nothing in localStorage; no cookie a script can reach."),
        "{said}"
    );
    assert!(
        said.contains(
            "(sid=… after a login here): no script can see or delete them. Log out does that"
        ),
        "{said}"
    );
    assert!(browser.in_view("#forget-result").await);
    browser
        .screenshot_viewport("session-page-forget-as-seen")
        .await;
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    browser.close().await;
}

/// Large type for a projector: a toggle, remembered across a reload under
/// a key of its own that no injected script counts as a credential.
#[tokio::test(flavor = "multi_thread")]
async fn large_type_is_remembered_and_is_not_loot() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = jwt_app(&Recorder::default()).await;
    sign_in(&browser, &app.url("/"), &unique_email("large")).await;
    let normal = browser
        .js("return parseFloat(getComputedStyle(document.body).fontSize)")
        .await;
    browser.click("#large-type").await;
    assert_eq!(
        browser
            .js("return document.body.classList.contains('large')")
            .await,
        true
    );
    open(&browser, &app.url("/")).await;
    let large = browser
        .js("return parseFloat(getComputedStyle(document.body).fontSize)")
        .await;
    assert!(
        large.as_f64().unwrap() > normal.as_f64().unwrap() * 1.3,
        "{normal} → {large}"
    );
    assert_eq!(
        browser
            .js("return $('large-type').getAttribute('aria-pressed')")
            .await,
        "true"
    );
    let loot = inject(&browser).await;
    let keys: Vec<&String> = loot["localStorage"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_token", "refresh_token"], "{loot}");
    assert!(!browser.text("#replays").await.contains("large"));
    assert!(browser.in_view("#verdict").await, "the verdict is in view");
    browser
        .screenshot_viewport("jwt-page-large-type-as-seen")
        .await;
    browser.screenshot("jwt-page-large-type").await;

    browser.click("#large-type").await;
    open(&browser, &app.url("/")).await;
    assert_eq!(
        browser
            .js("return document.body.classList.contains('large')")
            .await,
        false
    );
    browser.close().await;
}

/// A logout the server answers 401 is not shown as logged out: the page
/// keeps what it holds and says the server did not confirm.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_logout_is_not_shown_as_logged_out() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = jwt_app(&Recorder::default()).await;
    open(&browser, &app.url("/")).await;
    // A token the server cannot verify, and no refresh token: 401.
    browser
        .js("localStorage.setItem('access_token', 'not.a.token'); return null;")
        .await;
    browser.click("#logout").await;
    browser
        .wait_until(
            "the logout",
            "$('answer').textContent.startsWith('POST /logout → 401')",
        )
        .await;
    let note = browser.text("#answer-note").await;
    assert!(
        note.starts_with("401: the server did not confirm a logout"),
        "{note}"
    );
    assert_eq!(
        browser
            .js("return localStorage.getItem('access_token')")
            .await,
        "not.a.token"
    );
    browser.screenshot("jwt-page-logout-refused").await;
    browser.close().await;
}
