//! Checks shared by the outage tests (Redis or the database killed under a
//! running server): answers come fast, fail closed, and service resumes.

use std::time::{Duration, Instant};

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::{client, contract::Credential, json};

/// A request to a server whose store is down must be answered within this:
/// the 2-3 s command or pool timeouts, plus slack for a loaded machine.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(8);
/// How long the store's return may take to be noticed.
pub const RECOVER_WITHIN: Duration = Duration::from_secs(20);

/// Awaits `request`, asserting it was answered within [`ANSWER_WITHIN`].
pub async fn timed(what: &str, request: impl Future<Output = Response>) -> Response {
    let started = Instant::now();
    let res = request.await;
    let took = started.elapsed();
    eprintln!(
        "observed: {what} with the store down: {} in {took:?}",
        res.status()
    );
    assert!(
        took < ANSWER_WITHIN,
        "{what} took {took:?} with the store down"
    );
    res
}

/// 503 with the contract's error shape, its message naming `store`; returns the body.
pub async fn expect_unavailable(what: &str, res: Response, store: &str) -> Value {
    let (status, body) = json(res).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what} with the store down: {body}"
    );
    assert_eq!(body["error"], "unavailable", "{what}: {body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty() && m.contains(store)),
        "{what}: the message names the {store}: {body}"
    );
    body
}

/// Polls `GET url` (with `cred`, if any) until 200, within [`RECOVER_WITHIN`];
/// a credential is never called logged out (401) on the way back.
pub async fn wait_for_ok(url: String, cred: Option<&Credential>) -> Duration {
    let started = Instant::now();
    loop {
        let req = client().get(&url);
        let req = match cred {
            Some(cred) => cred.attach(req),
            None => req,
        };
        let res = req.send().await.expect("send");
        let status = res.status();
        if status == StatusCode::OK {
            return started.elapsed();
        }
        if cred.is_some() {
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{url} while recovering");
        }
        assert!(
            started.elapsed() < RECOVER_WITHIN,
            "{url} still answers {status} {} after {RECOVER_WITHIN:?}",
            res.text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `/health` answering 503 with the check named `check` down, and naming it in
/// its message; returns the body for store-specific checks.
pub async fn expect_health_down(res: Response, check: &str) -> Value {
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["error"], "unavailable", "{body}");
    assert_eq!(body["checks"][check], "down", "{check}: {body}");
    // The reason is in the log only: a driver's text names hosts and ports,
    // and /health answers anyone.
    let text = body.to_string().to_lowercase();
    for leak in [
        "127.0.0.1",
        "localhost",
        "refused",
        "timed out",
        "connection",
    ] {
        assert!(
            !text.contains(leak),
            "/health tells anyone {leak:?}: {body}"
        );
    }
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains(check)),
        "{check}: {body}"
    );
    body
}

/// A request held inside a query (it waits for a lock the test holds) when
/// PostgreSQL goes down: the waiting session is ended first (57P01, as the
/// shutdown that follows would), then the whole server. Returns the answer,
/// which must come within [`ANSWER_WITHIN`].
pub async fn cut_off_by_a_shutdown(
    pg: &mut crate::postgres_server::PostgresServer,
    what: &str,
    request: tokio::task::JoinHandle<Response>,
) -> Response {
    pg.wait_for_lock_waiters(1, Duration::from_secs(5))
        .await
        .expect("the request waits for the lock");
    pg.terminate_lock_waiters()
        .await
        .expect("end the waiting session");
    pg.shut_down().await;
    let started = Instant::now();
    let res = tokio::time::timeout(ANSWER_WITHIN, request)
        .await
        .unwrap_or_else(|_| panic!("{what} answered after the shutdown"))
        .expect("the request task");
    eprintln!(
        "observed: {what} cut off by a fast shutdown: {} {:?} after pg_ctl returned",
        res.status(),
        started.elapsed()
    );
    res
}
