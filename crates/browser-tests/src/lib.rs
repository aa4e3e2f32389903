//! Headless Chromium for the browser tests, through chromedriver and
//! WebDriver (fantoccini). Each test gets its own chromedriver on a free port
//! and its own browser profile; both go when the test ends, even by a panic.

pub mod recorder;

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long a page may take to reach a state the test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// The browser window, in CSS pixels, until a screenshot fits it to the page.
const WINDOW: (u32, u32) = (1280, 900);

/// Debian's names first (`apt-get install chromium chromium-driver`).
const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// chromedriver, in a process group of its own: killing the group ends the
/// browser it started too, which a kill of chromedriver alone would leave.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Browser {
    client: Client,
    // Dropped in this order: the browser's processes, then its profile folder.
    _driver: Driver,
    _profile: TempDir,
}

impl Browser {
    /// A fresh headless Chromium with its default cookie policy, or `None`
    /// (said loudly; a failure under CI) where Chromium or chromedriver is
    /// not installed.
    pub async fn start() -> Option<Self> {
        Self::start_with(ThirdPartyCookies::Default).await
    }

    /// As [`Browser::start`], with third-party cookies as `cookies` says.
    pub async fn start_with(cookies: ThirdPartyCookies) -> Option<Self> {
        let (Some(browser), Ok(chromedriver)) = (
            BROWSERS.iter().find_map(|b| which::which(b).ok()),
            which::which("chromedriver"),
        ) else {
            test_support::skip_or_fail(
                "Chromium or chromedriver is not installed \
                 (Debian: apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let port = contract_client::free_port().expect("a free port for chromedriver");
        let driver = Driver {
            child: spawn_in_own_group(
                Command::new(chromedriver)
                    .arg(format!("--port={port}"))
                    // Their scratch folders too, which a killed browser leaves behind.
                    .env("TMPDIR", profile.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            ),
        };
        wait_for_port(port);
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": browser,
                "args": [
                    "--headless=new",
                    // Tests run as root in CI containers, where the sandbox cannot start.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
                "prefs": cookies.prefs(),
            }
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.as_object().cloned().unwrap_or_default())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with Chromium");
        Some(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body: `return …`) in the page.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run in the page {script:?}: {e}"))
    }

    /// Waits until `condition` (a JS expression) holds in the page.
    pub async fn wait_until(&self, what: &str, condition: &str) {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + PATIENCE;
        while self.js(&script).await != Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what} ({condition})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the element `css`, as the user sees it.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Replaces the value of the input `css` with `text`, as typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Saves the whole page as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // WebDriver shoots the viewport only: make it as tall as the page,
        // scrolled to its top. The size set is the window's, frame included.
        let height = self
            .js("window.scrollTo(0, 0);
                 return document.body.scrollHeight + window.outerHeight - window.innerHeight")
            .await
            .as_u64()
            .map_or(WINDOW.1, |h| h as u32);
        self.client
            .set_window_size(WINDOW.0, height)
            .await
            .unwrap_or_else(|e| panic!("resize the window for {name}: {e}"));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        // Back to the window a user has, for what the test checks next.
        self.client
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .unwrap_or_else(|e| panic!("resize the window back after {name}: {e}"));
        save(name, &png)
    }

    /// Saves the window as the user sees it now (1280×900, scrolled where
    /// the page is) as `target/screenshots/NAME.png`.
    pub async fn screenshot_viewport(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        save(name, &png)
    }

    /// Whether the element `css` lies wholly inside the window, where the
    /// user sees it without scrolling.
    pub async fn in_view(&self, css: &str) -> bool {
        let script = format!(
            "const r = document.querySelector({}).getBoundingClientRect();
             return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
            Value::from(css)
        );
        self.js(&script).await == Value::Bool(true)
    }

    /// Ends the WebDriver session; the processes go with `self`.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// The browser's third-party cookie setting: what decides whether a cookie
/// set by an API on another site is kept and sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThirdPartyCookies {
    /// Chromium's default (headless 156): blocked, never stored.
    Default,
    /// The user allowed them (Settings → Privacy and security → Third-party cookies).
    Allowed,
}

impl ThirdPartyCookies {
    pub fn label(self) -> &'static str {
        match self {
            Self::Default => "default-policy",
            Self::Allowed => "third-party-allowed",
        }
    }

    /// The profile preferences behind the setting's switch.
    fn prefs(self) -> Value {
        match self {
            Self::Default => json!({}),
            Self::Allowed => json!({
                "profile.cookie_controls_mode": 0,
                "profile.block_third_party_cookies": false,
            }),
        }
    }
}

fn spawn_in_own_group(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    command
        .process_group(0)
        .spawn()
        .expect("start chromedriver")
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `target/screenshots` of this workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("screenshots")
}

fn save(name: &str, png: &[u8]) -> PathBuf {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}
