//! Helpers for the black-box tests: start a router on an ephemeral port, talk to it over HTTP.

pub mod attacks;
pub mod contract;
pub mod databases;
pub mod outage;
pub mod postgres_server;
pub mod redis;
pub mod suite;

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use axum::Router;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A password every test account can use: long enough for the policy.
pub const PASSWORD: &str = "correct horse battery";

/// A server running the real router on 127.0.0.1 with a port the OS chose.
/// Dropping it aborts the server; [`TestServer::stop`] shuts it down gracefully.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(app: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        });
        Self {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops accepting, lets requests in flight finish (5 s at most), and
    /// drops the router with its pools, as a process exit would.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A client as a script would be: no cookie jar, no redirects, bounded waits.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("build a reqwest client")
}

/// An email no other test in this process uses.
pub fn unique_email(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A port no one listens on now, for a private server (redis-server, postgres).
pub(crate) fn free_port() -> std::io::Result<u16> {
    // The OS picks a port no one listens on; it is free again once this
    // listener is dropped, and the server takes it a moment later.
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A temporary data folder, removed when dropped.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary data folder")
}

/// Status and JSON body of a response; a body that is not JSON fails the test.
pub async fn json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("read the body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, body)
}

/// Asserts the contract's error shape and code, and returns the body.
pub async fn expect_error(res: Response, status: StatusCode, code: &str) -> Value {
    let (got, body) = json(res).await;
    assert_eq!(got, status, "unexpected status, body {body}");
    assert_eq!(body["error"], code, "unexpected error code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message in {body}"
    );
    body
}

pub async fn register(
    client: &reqwest::Client,
    server: &TestServer,
    email: &str,
    password: &str,
) -> Response {
    client
        .post(server.url("/register"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("POST /register")
}

pub async fn login(
    client: &reqwest::Client,
    server: &TestServer,
    email: &str,
    password: &str,
) -> Response {
    client
        .post(server.url("/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("POST /login")
}

/// True under CI (`CI=true`), where a missing service is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A service a test needs is missing: under CI that fails the test; elsewhere
/// the test is skipped, with a line on stderr that is hard to miss.
pub fn skip_or_fail(what: &str) {
    if in_ci() {
        panic!("{what}: under CI=true a missing service is a failure, not a skip");
    }
    // Straight to the process' stderr: `eprintln!` would be captured by the
    // test harness and shown only for a failing test, and a skip passes.
    // The harness names each test's thread after the test.
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .map_or(String::new(), |n| format!("{n}: "));
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}{what} (CI=true would fail)"
    );
}
