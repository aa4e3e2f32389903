//! The request log as an operator reads it: the server's own stderr, one
//! line per answered request with its method, path, status, time and
//! request id (auth-core's `middleware/access_log.rs`, written in batches
//! by `log_writer.rs`), and `RUST_LOG` that silences it alone.

use std::time::Duration;

use crate::processes::{self, Server};

/// A line is written at most 20 ms after it is logged; generous for a busy
/// machine. No speed is asserted: only that the line comes.
const LINE_LIMIT: Duration = Duration::from_secs(10);

async fn stderr_with(server: &Server, wanted: &str) -> Option<String> {
    let deadline = tokio::time::Instant::now() + LINE_LIMIT;
    while tokio::time::Instant::now() < deadline {
        let stderr = server.stderr();
        if stderr.contains(wanted) {
            return Some(stderr);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// session-app as its binary, in a data folder of its own (dropped after
/// the server), with `RUST_LOG` if given, else the servers' default.
fn start(rust_log: Option<&str>) -> (tempfile::TempDir, Server) {
    let dir = test_support::data_dir();
    let data_dir = dir.path().display().to_string();
    let mut env = vec![("DATA_DIR", data_dir.as_str())];
    env.extend(rust_log.map(|filter| ("RUST_LOG", filter)));
    let server = Server::spawn("session-app", &processes::session_app(), &env, dir.path());
    (dir, server)
}

async fn get(address: &str, path: &str, request_id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{address}{path}"))
        .header("x-request-id", request_id)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test]
async fn every_answer_is_one_line_with_its_method_path_status_and_request_id() {
    let (_dir, mut server) = start(None);
    let address = server.address().await;

    let missing = get(&address, "/no-such-page?x=1", "log-test-404").await;
    assert_eq!(missing.status(), 404);
    let protected = get(&address, "/protected", "log-test-401").await;
    assert_eq!(protected.status(), 401);

    let stderr = stderr_with(&server, "request_id=log-test-401")
        .await
        .unwrap_or_else(|| panic!("no line for the 401; stderr:\n{}", server.stderr()));
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("log-test-")).collect();
    assert_eq!(lines.len(), 2, "one line per request: {lines:#?}");
    for (line, (method_path_status, id)) in lines.iter().zip([
        ("GET /no-such-page?x=1 404 ", "log-test-404"),
        ("GET /protected 401 ", "log-test-401"),
    ]) {
        assert!(line.contains(" INFO request: "), "{line}");
        assert!(line.contains(method_path_status), "{line}");
        assert!(line.ends_with(&format!("request_id={id}")), "{line}");
        let ms = line
            .split_once(method_path_status)
            .and_then(|(_, rest)| rest.split_once("ms"))
            .and_then(|(ms, _)| ms.parse::<f64>().ok());
        assert!(ms.is_some_and(|ms| ms >= 0.0), "a time in ms: {line}");
    }
}

#[tokio::test]
async fn rust_log_request_off_silences_the_request_lines_alone() {
    let (_dir, mut server) = start(Some("info,request=off"));
    let address = server.address().await;
    assert_eq!(get(&address, "/health", "log-test-off").await.status(), 200);

    // At exit the server writes out every line it logged: the request's
    // would be there, and the server's own lines are.
    server.stop().await;
    let stderr = server.stderr();
    assert!(stderr.contains("listening on"), "{stderr}");
    assert!(stderr.contains("session-app stopped"), "{stderr}");
    assert!(!stderr.contains("log-test-off"), "{stderr}");
    assert!(!stderr.contains("GET /health"), "{stderr}");
}
