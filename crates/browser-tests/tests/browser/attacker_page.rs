//! The attacker's page, visited by a user logged in to session-app: what the
//! browser sends on its behalf, and what the server makes of it.

use browser_tests::{Browser, recorder::Recorder};

use crate::servers::{attacker, call, jwt_app, session_app, sign_in};

/// The text of the `index`th frame of the page.
async fn frame_text(browser: &Browser, index: u16) -> String {
    browser.client().enter_frame(index).await.unwrap();
    let text = browser.text("body").await;
    browser.client().enter_parent_frame().await.unwrap();
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn same_site_the_cookie_goes_and_the_origin_check_refuses() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let app = session_app(&seen).await;
    let evil = attacker().await;
    let email = test_support::unique_email("victim");
    sign_in(&browser, &app.url("/"), &email).await;

    // 127.0.0.1 on another port: the same site, another origin.
    let attacker_origin = format!("http://127.0.0.1:{}", evil.addr.port());
    browser
        .goto(&format!("{attacker_origin}/?target={}", app.url("")))
        .await;
    browser
        .wait_until("the attack", "document.body.dataset.done === 'true'")
        .await;

    let forged = seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(
            logout.cookie,
            "SameSite=Lax sends the cookie same-site: {logout:?}"
        );
        assert_eq!(logout.origin.as_deref(), Some(attacker_origin.as_str()));
        assert_eq!(
            logout.status, 403,
            "the Origin check refuses it: {logout:?}"
        );
    }
    let form_answer = frame_text(&browser, 0).await;
    assert!(form_answer.contains(r#""error":"csrf""#), "{form_answer}");
    // A PUT with a JSON body needs a preflight the server does not grant.
    assert!(
        seen.arrivals().iter().all(|a| a.method != "PUT"),
        "{:#?}",
        seen.arrivals()
    );
    let role = browser.text("#role").await;
    assert!(role.contains("never left the browser"), "{role}");
    let probe = frame_text(&browser, 1).await;
    assert!(probe.contains(&format!("Hello {email}")), "{probe}");
    browser.screenshot("attacker-same-site").await;

    // Back on the server's own page: still logged in.
    browser.goto(&app.url("/")).await;
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_samesite_lax_keeps_the_cookie_off() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let app = session_app(&seen).await;
    let evil = attacker().await;
    sign_in(
        &browser,
        &app.url("/"),
        &test_support::unique_email("victim"),
    )
    .await;

    // `localhost` is another site than 127.0.0.1.
    browser
        .goto(&format!(
            "http://localhost:{}/?target={}",
            evil.addr.port(),
            app.url("")
        ))
        .await;
    browser
        .wait_until("the attack", "document.body.dataset.done === 'true'")
        .await;

    let forged = seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(
            !logout.cookie,
            "no cookie on another site's POST: {logout:?}"
        );
    }
    let probe = seen.of("GET", "/protected");
    assert!(
        probe.len() == 1 && !probe[0].cookie && probe[0].status == 401,
        "nor on its frames: {probe:#?}"
    );
    let frame = frame_text(&browser, 1).await;
    assert!(frame.contains(r#""error":"unauthorized""#), "{frame}");
    browser.screenshot("attacker-cross-site").await;

    browser.goto(&app.url("/")).await;
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_header_is_out_of_its_reach() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let app = jwt_app(&seen).await;
    let evil = attacker().await;
    sign_in(
        &browser,
        &app.url("/"),
        &test_support::unique_email("victim"),
    )
    .await;

    browser
        .goto(&format!(
            "http://127.0.0.1:{}/?target={}",
            evil.addr.port(),
            app.url("")
        ))
        .await;
    browser
        .wait_until("the attack", "document.body.dataset.done === 'true'")
        .await;

    let forged = seen.of("POST", "/logout");
    assert_eq!(forged.len(), 2, "the form and the fetch: {forged:#?}");
    for logout in &forged {
        assert!(
            !logout.authorization && logout.status == 401,
            "no page but jwt-app's own adds the header: {logout:?}"
        );
    }
    let frame = frame_text(&browser, 0).await;
    assert!(frame.contains(r#""error":"unauthorized""#), "{frame}");
    browser.screenshot("attacker-jwt-header").await;

    browser.goto(&app.url("/")).await;
    let answer = call(&browser, "/protected").await;
    assert!(answer.starts_with("GET /protected → 200"), "{answer}");
    browser.close().await;
}
