//! The real servers, in-process on ephemeral ports, as the other tests run
//! them; and signing in through a page, as a user would.

use browser_tests::{Browser, recorder::Recorder};
use clap::Parser;
use tempfile::TempDir;
use test_support::{PASSWORD, TestServer};

pub struct Running {
    pub server: TestServer,
    dir: TempDir,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Stops this server and starts `app` with `extra` on the same address
    /// and data folder: Ctrl-C and the next `just run-…` of the workshop,
    /// the browser still on the same origin.
    pub async fn restart_as(self, app: App, recorder: &Recorder, extra: &[&str]) -> Running {
        let addr = self.server.addr;
        self.server.stop().await;
        let router = router(app, &self.dir, extra).await;
        Running {
            server: TestServer::start_on(addr, recorder.around(router)).await,
            dir: self.dir,
        }
    }
}

#[derive(Clone, Copy)]
pub enum App {
    Session,
    Jwt,
}

async fn router(app: App, dir: &TempDir, extra: &[&str]) -> axum::Router {
    match app {
        App::Session => {
            let config =
                session_app::Config::try_parse_from(args("session-app", dir, extra)).unwrap();
            session_app::app(config).await.unwrap()
        }
        App::Jwt => {
            let config = jwt_app::Config::try_parse_from(args("jwt-app", dir, extra)).unwrap();
            jwt_app::app(config).await.unwrap()
        }
    }
}

/// `app` with `extra`, on an ephemeral port with a data folder of its own.
pub async fn start(app: App, recorder: &Recorder, extra: &[&str]) -> Running {
    let dir = test_support::data_dir();
    let router = router(app, &dir, extra).await;
    Running {
        server: TestServer::start(recorder.around(router)).await,
        dir,
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
    start(App::Session, recorder, extra).await
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
    start(App::Jwt, recorder, extra).await
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
    log_in(browser, email).await;
}

/// Logs `email` in with the open page's form, and waits until the server
/// says who is signed in.
pub async fn log_in(browser: &Browser, email: &str) {
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser
        .js("$('whoami').dataset.status = ''; return null;")
        .await;
    browser.click("#login").await;
    browser
        .wait_until(
            "the server's answer to who is signed in, after the login",
            "$('answer').textContent.startsWith('POST /login → 200') \
             && $('whoami').dataset.status === '200'",
        )
        .await;
}

/// Opens `url` and waits until the page has asked the server who is signed
/// in; returns what it shows.
pub async fn open(browser: &Browser, url: &str) -> String {
    browser.goto(url).await;
    browser
        .wait_until(
            "the page asking who is signed in",
            "$('whoami').dataset.status",
        )
        .await;
    browser.text("#whoami").await
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
    browser
        .js("$('in-page').textContent = ''; return null;")
        .await;
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
