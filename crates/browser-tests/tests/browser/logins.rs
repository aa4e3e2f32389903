//! The "your logins" panel of both pages: the account's logins as the
//! server lists them, another device's ended from this page, the password
//! changed without losing this login, then every login ended.

use browser_tests::{Browser, recorder::Recorder};
use contract_client::client::{self as contract, Credential, PASSWORD};
use test_support::unique_email;

use crate::servers::{App, Running, sign_in, start};

const PHONE: &str = "Phone/1.0 (the other device)";

#[tokio::test(flavor = "multi_thread")]
async fn session_page_lists_ends_and_signs_out_everywhere() {
    your_logins(App::Session, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_page_lists_ends_and_signs_out_everywhere() {
    your_logins(App::Jwt, &["--denylist", "memory"]).await;
}

/// The other device: logged in over HTTP with its own User-Agent.
async fn phone_logs_in(app: &Running, email: &str) -> Credential {
    let res = contract::login(email, PASSWORD)
        .header("User-Agent", PHONE)
        .build(&contract::client(), &app.url(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    let body: serde_json::Value = res.json().await.unwrap();
    Credential::from_response(&headers, &body).unwrap()
}

async fn phone_status(app: &Running, phone: &Credential) -> u16 {
    phone
        .attach(contract::client().get(app.url("/protected")))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn wait_note(browser: &Browser, what: &str, starts: &str) {
    browser
        .wait_until(
            what,
            &format!("$('logins-note').textContent.startsWith('{starts}')"),
        )
        .await;
}

async fn your_logins(app: App, extra: &[&str]) {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let recorder = Recorder::default();
    let server = start(app, &recorder, extra).await;
    let email = unique_email("logins-page");
    sign_in(&browser, &server.url("/"), &email).await;
    let phone = phone_logs_in(&server, &email).await;
    assert_eq!(phone_status(&server, &phone).await, 200);

    browser.click("#list-logins").await;
    wait_note(&browser, "the list", "2 login(s)").await;
    let rows = browser
        .js("return [...document.querySelectorAll('#logins-body tr')].map(r => r.cells[0].textContent + ' | ' + r.cells[4].textContent)")
        .await;
    let rows: Vec<String> = serde_json::from_value(rows).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.contains(&format!("{PHONE} | End this login")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.ends_with("| this browser")),
        "{rows:?}"
    );
    let name = match app {
        App::Session => "session",
        App::Jwt => "jwt",
    };
    browser.screenshot_viewport(&format!("{name}-logins")).await;

    // The phone's login, ended from this page: dead at its next request.
    browser.click("#logins-body button[data-login]").await;
    wait_note(&browser, "the end of the phone's login", "204").await;
    assert_eq!(phone_status(&server, &phone).await, 401);
    let left = browser
        .js("return document.querySelectorAll('#logins-body tr').length")
        .await;
    assert_eq!(left, 1);

    // The password changed: this page stays signed in, under a new credential.
    browser.click("#change-password").await;
    browser
        .wait_until(
            "the password change",
            "$('logins-note').textContent.includes('password')",
        )
        .await;
    let note = browser.text("#logins-note").await;
    assert!(
        note.starts_with("200"),
        "{note}\n{}",
        browser.text("#logins-answer").await
    );
    browser
        .wait_until("who is signed in", "$('whoami').dataset.status === '200'")
        .await;
    assert_eq!(browser.text("#whoami").await, email);

    // Every login ended, this one included, as the server confirms.
    browser.click("#logout-everywhere").await;
    wait_note(&browser, "sign out everywhere", "204").await;
    browser
        .wait_until("who is signed in", "$('whoami').dataset.status === '401'")
        .await;
    assert_eq!(browser.text("#whoami").await, "nobody");
    browser.close().await;
}
