//! The real servers, in-process on ephemeral ports, as the other tests run
//! them; and signing in through a page, as a user would.

use browser_tests::{Browser, recorder::Recorder};
use clap::Parser;
use tempfile::TempDir;
use test_support::{PASSWORD, TestServer};

pub struct Running {
    pub server: TestServer,
    _dir: TempDir,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// A fast, private setup: its own data folder, cheap bcrypt; `extra` on top.
fn args(bin: &str, dir: &TempDir, extra: &[&str]) -> Vec<String> {
    let dir = dir.path().display().to_string();
    [bin, "--data-dir", &dir, "--bcrypt-cost", "4"]
        .iter()
        .chain(extra)
        .map(|a| (*a).to_owned())
        .collect()
}

/// session-app, each request it answers recorded by `recorder`.
pub async fn session_app(recorder: &Recorder) -> Running {
    session_app_with(recorder, &[]).await
}

/// session-app with `UNSAFE_DISABLE_CSRF_CHECK`, as the teacher runs it to
/// show the forged requests succeeding.
pub async fn unsafe_session_app(recorder: &Recorder) -> Running {
    session_app_with(recorder, &["--unsafe-disable-csrf-check"]).await
}

async fn session_app_with(recorder: &Recorder, extra: &[&str]) -> Running {
    let dir = test_support::data_dir();
    let config = session_app::Config::try_parse_from(args("session-app", &dir, extra)).unwrap();
    let router = session_app::app(config).await.unwrap();
    Running {
        server: TestServer::start(recorder.around(router)).await,
        _dir: dir,
    }
}

/// jwt-app, each request it answers recorded by `recorder`.
pub async fn jwt_app(recorder: &Recorder) -> Running {
    jwt_app_with(recorder, &[]).await
}

/// jwt-app with its tokens in HttpOnly cookies (`TOKEN_TRANSPORT=cookie`).
pub async fn jwt_cookie_app(recorder: &Recorder) -> Running {
    jwt_app_with(recorder, &["--token-transport", "cookie"]).await
}

async fn jwt_app_with(recorder: &Recorder, extra: &[&str]) -> Running {
    let dir = test_support::data_dir();
    let config = jwt_app::Config::try_parse_from(args("jwt-app", &dir, extra)).unwrap();
    let router = jwt_app::app(config).await.unwrap();
    Running {
        server: TestServer::start(recorder.around(router)).await,
        _dir: dir,
    }
}

pub async fn attacker() -> TestServer {
    TestServer::start(attacker::app()).await
}

/// Opens `page`, registers `email` and logs it in with the page's buttons.
pub async fn sign_in(browser: &Browser, page: &str, email: &str) {
    browser.goto(page).await;
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#register").await;
    browser
        .wait_until(
            "the registration",
            "$('answer').textContent.startsWith('POST /register → 201')",
        )
        .await;
    browser.click("#login").await;
    browser
        .wait_until(
            "the profile after login",
            "$('answer').textContent.startsWith('GET /profile → 200')",
        )
        .await;
}

/// Clicks the page's button for `GET path` and returns the answer shown.
pub async fn call(browser: &Browser, path: &str) -> String {
    browser
        .js("$('answer').textContent = ''; return null;")
        .await;
    browser.click(&format!("button[data-path='{path}']")).await;
    browser
        .wait_until(
            &format!("GET {path}"),
            &format!("$('answer').textContent.startsWith('GET {path} ')"),
        )
        .await;
    browser.text("#answer").await
}

/// Runs the page's injected script and returns what it "exfiltrated".
pub async fn inject(browser: &Browser) -> serde_json::Value {
    browser.click("#inject").await;
    browser
        .wait_until("the injected script", "$('in-page').textContent !== ''")
        .await;
    let loot = browser.js("return $('loot').textContent").await;
    serde_json::from_str(loot.as_str().unwrap()).unwrap()
}

/// The page's exchange log, oldest first: `METHOD path | status | credential`.
pub async fn log_rows(browser: &Browser) -> Vec<String> {
    let rows = browser
        .js(
            "return [...document.querySelectorAll('#log-body tr')].reverse()
                .map(r => [...r.cells].slice(1).map(c => c.textContent).join(' | '))",
        )
        .await;
    serde_json::from_value(rows).unwrap()
}
