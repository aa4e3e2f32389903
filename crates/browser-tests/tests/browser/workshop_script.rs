//! docs/workshop.md's browser parts in order, as a room runs them: one
//! Chromium profile from the first part to the last, the same origins
//! reused by other transports and settings, servers stopped and started
//! between parts (`just stop`, the next `just run-…` on the same port), and
//! each part's "they see" checked on the pages as the room sees them.
//! Part 3's cookie page must not call the header mode's left-over token a
//! working credential (issue 19's false positive).

use browser_tests::{Browser, recorder::Recorder};
use clap::Parser;
use test_support::{
    TestServer, client,
    redis::{Prefix, shared_redis_url},
    unique_email,
};

use crate::servers::{App, inject, log_in, open, session_app, sign_in, start};

/// The page's injected script run; its verdict's usable flag and text.
async fn injected(browser: &Browser) -> (String, String) {
    inject(browser).await;
    let usable = browser.js("return $('xss').dataset.usable").await;
    (
        usable.as_str().unwrap_or_default().to_owned(),
        browser.text("#verdict").await,
    )
}

/// Logs out with the page's button and waits for the server's word.
async fn log_out(browser: &Browser) {
    browser.click("#logout").await;
    browser
        .wait_until(
            "the server saying nobody is signed in, after the logout",
            "$('answer').textContent.startsWith('POST /logout → 204') \
             && $('whoami').dataset.status === '401'",
        )
        .await;
}

async fn status_with(url: &str, header: (&str, String)) -> u16 {
    client()
        .get(url)
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workshop_script_in_order_in_one_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let seen = Recorder::default();
    let email = unique_email("room");

    // --- 1. Two servers, one contract (`just up`) ---------------------------
    let session = session_app(&seen).await;
    let jwt = start(App::Jwt, &seen, &[]).await;
    sign_in(&browser, &session.url("/"), &email).await;
    let answer = browser.text("#answer").await;
    assert!(answer.starts_with("POST /login → 200"), "{answer}");
    assert!(
        !answer.to_lowercase().contains("set-cookie"),
        "no script reads it: {answer}"
    );
    assert!(browser.text("#answer-note").await.contains("DevTools"));
    assert_eq!(browser.js("return document.cookie").await, "");
    assert_eq!(browser.text("#whoami").await, email);
    let sid = browser
        .client()
        .get_named_cookie("sid")
        .await
        .unwrap()
        .value()
        .to_owned();

    sign_in(&browser, &jwt.url("/"), &email).await;
    assert!(browser.text("#answer").await.contains("\"access_token\""));
    assert_eq!(browser.text("#whoami").await, email);
    let access = browser
        .js("return localStorage.getItem('access_token')")
        .await;
    let access = access.as_str().unwrap().to_owned();
    let holds = browser.text("#holds").await;
    assert!(
        holds.contains("\"exp\"") && holds.contains(" ← "),
        "exp as a clock time: {holds}"
    );

    // --- 2. Logout and the loophole ----------------------------------------
    log_out(&browser).await;
    open(&browser, &session.url("/")).await;
    log_out(&browser).await;
    let protected = |server: &crate::servers::Running| server.url("/protected");
    assert_eq!(
        status_with(&protected(&session), ("cookie", format!("sid={sid}"))).await,
        401,
        "the session cookie is refused at once"
    );
    assert_eq!(
        status_with(
            &protected(&jwt),
            ("authorization", format!("Bearer {access}"))
        )
        .await,
        200,
        "the logged-out JWT still works until exp: the loophole"
    );

    // --- 3. The browser: XSS, CSRF and the JWT in a cookie -------------------
    log_in(&browser, &email).await; // the session page, still open
    let (usable, verdict) = injected(&browser).await;
    assert_eq!(
        usable, "false",
        "nothing to steal on the session page: {verdict}"
    );
    open(&browser, &jwt.url("/")).await;
    log_in(&browser, &email).await;
    let (usable, verdict) = injected(&browser).await;
    assert_eq!(usable, "true", "a working bearer token: {verdict}");
    assert!(verdict.contains("→ 200"), "{verdict}");

    // `just stop`, `just run-jwt-cookie`, `just run-attacker`: the same
    // origin, the header mode's tokens still in its localStorage.
    let jwt = jwt
        .restart_as(
            App::Jwt,
            &seen,
            &["--token-transport", "cookie", "--inspect"],
        )
        .await;
    let evil = TestServer::start(attacker::inspected_app()).await;
    assert_eq!(open(&browser, &jwt.url("/")).await, "nobody");
    log_in(&browser, &email).await;
    let (usable, verdict) = injected(&browser).await;
    assert_eq!(
        usable, "false",
        "the header mode's left-overs are not this page's credential: {verdict}"
    );
    assert!(
        verdict.contains("access_token, left over from header mode: replayed → 401"),
        "{verdict}"
    );
    assert!(!verdict.contains("working"), "{verdict}");

    // The attacker's page, same site, then another site.
    let evil_port = evil.addr.port();
    for (host, cookie_goes) in [("127.0.0.1", true), ("localhost", false)] {
        browser
            .goto(&format!(
                "http://{host}:{evil_port}/?target={}",
                jwt.url("")
            ))
            .await;
        browser
            .wait_until("the attack", "document.body.dataset.done === 'true'")
            .await;
        let banner = browser
            .js("const b = $('verdict-1'); return [b.dataset.state, b.dataset.status, b.dataset.cookies]")
            .await;
        assert_eq!(banner[0], "refused", "from {host}: {banner}");
        assert_eq!(banner[1], "403", "the Origin check, from {host}: {banner}");
        let cookies = banner[2].as_str().unwrap_or_default();
        assert_eq!(
            cookies.split(',').any(|c| c == "access_token"),
            cookie_goes,
            "SameSite=Lax sends it same-site only; from {host}: {banner}"
        );
    }
    assert_eq!(
        open(&browser, &jwt.url("/")).await,
        email,
        "still logged in"
    );

    // --- 4. Scale: a restart with the sessions in a shared store -------------
    let keys = shared_redis_url()
        .await
        .map(|url| Prefix::new(&url, "workshop-script"));
    let store: Vec<String> = match &keys {
        Some(keys) => vec![
            "--session-store".into(),
            "redis".into(),
            "--redis-url".into(),
            keys.url.clone(),
            "--redis-prefix".into(),
            keys.prefix.clone(),
        ],
        None => vec!["--session-store".into(), "db".into()],
    };
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    let session = session.restart_as(App::Session, &seen, &store).await;
    assert_eq!(
        open(&browser, &session.url("/")).await,
        "nobody",
        "a new store"
    );
    log_in(&browser, &email).await;
    let session = session.restart_as(App::Session, &seen, &store).await;
    assert_eq!(
        open(&browser, &session.url("/")).await,
        email,
        "the login outlives the restart, as the server says"
    );
    session.server.stop().await;

    // --- 5. A second service: decentralized verification --------------------
    let jwt = jwt
        .restart_as(App::Jwt, &seen, &["--jwt-alg", "EdDSA"])
        .await;
    assert_eq!(open(&browser, &jwt.url("/")).await, "nobody");
    log_in(&browser, &email).await;
    let config = resource_server::Config::try_parse_from([
        "resource-server",
        "--jwt-app-url",
        &jwt.url(""),
        "--upstream-stats",
    ])
    .unwrap();
    let api = TestServer::start(resource_server::app(config).await.unwrap()).await;
    let loot = inject(&browser).await;
    let token = loot["localStorage"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let curl = browser.text("#curl").await;
    assert!(curl.contains("Authorization: Bearer"), "{curl}");
    let notes = api.url("/notes");
    assert_eq!(
        status_with(&notes, ("authorization", format!("Bearer {token}"))).await,
        200
    );
    jwt.server.stop().await;
    assert_eq!(
        status_with(&notes, ("authorization", format!("Bearer {token}"))).await,
        200,
        "jwt-app stopped: the notes still come"
    );
    browser.goto(&api.url("/")).await;
    browser
        .wait_until("the counters", "$('counters').dataset.status === '200'")
        .await;
    assert_eq!(browser.text("#jwks_fetches").await, "1");
    assert_eq!(
        browser.text("#upstream_calls").await,
        "1",
        "0 calls per request"
    );
    assert_eq!(browser.text("#verified_requests").await, "2");
    browser.close().await;
    evil.stop().await;
    api.stop().await;
    drop(keys);
}
