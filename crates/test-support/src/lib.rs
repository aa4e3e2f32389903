//! Helpers for the black-box tests: start a router on an ephemeral port, talk to it over HTTP.

pub mod attacks;
pub mod contract;
pub mod databases;
pub mod fuzz;
pub mod lifecycle;
pub mod openapi;
pub mod operator;
pub mod outage;
pub mod postgres_server;
pub mod redis;
pub mod suite;

use std::{net::SocketAddr, time::Duration};

use axum::Router;
use contract_client::client::Request;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use contract_client::{
    ci::{in_ci, skip_or_fail},
    client::{PASSWORD, client, unique_email},
};

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
        Self::serve(listener, app)
    }

    /// Serves `app` on `addr`: a port named before the server existed (a
    /// client configured first), or the one a stopped server held (a
    /// restart on the same address). Tries for a few seconds while the port
    /// is still being released.
    pub async fn start_on(addr: SocketAddr, app: Router) -> Self {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => return Self::serve(listener, app),
                Err(e) if tokio::time::Instant::now() > deadline => {
                    panic!("cannot listen on {addr} again: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn serve(listener: TcpListener, app: Router) -> Self {
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

pub use contract_client::free_port;

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
    send(
        client,
        server,
        contract_client::client::register(email, password),
    )
    .await
}

pub async fn login(
    client: &reqwest::Client,
    server: &TestServer,
    email: &str,
    password: &str,
) -> Response {
    send(
        client,
        server,
        contract_client::client::login(email, password),
    )
    .await
}

async fn send(client: &reqwest::Client, server: &TestServer, req: Request) -> Response {
    req.build(client, &server.url(""))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.path))
}

/// `GET path` with `cred` attached, as its holder sends it.
pub async fn get_with(
    server: &TestServer,
    cred: &contract_client::client::Credential,
    path: &str,
) -> Response {
    cred.attach(client().get(server.url(path)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Logs in and returns the credential, whichever kind the app hands out.
pub async fn login_credential(
    server: &TestServer,
    email: &str,
    password: &str,
) -> contract_client::client::Credential {
    let res = login(&client(), server, email, password).await;
    issued_credential(res, "login").await.1
}

/// The body of `what`'s answer, asserted 200, and the credential it hands
/// out (a login's, or the new one a password change continues a login with),
/// whichever kind the app hands out.
pub async fn issued_credential(
    res: Response,
    what: &str,
) -> (Value, contract_client::client::Credential) {
    let headers = res.headers().clone();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{what} failed: {body}");
    let cred =
        contract_client::client::Credential::from_response(&headers, &body).unwrap_or_else(|| {
            panic!("{what} answered 200 with neither a sid cookie nor an access token: {body}")
        });
    (body, cred)
}
