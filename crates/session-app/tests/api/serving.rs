//! How the binary serves (`auth_core::serve::run`), tried on the real
//! process (issue 21): a client that never finishes its headers is cut off;
//! a keep-alive connection idle after its answer is closed on its own,
//! shorter timeout, while a request in flight or a slow one is not;
//! a flood of idle connections from one address is capped, and the
//! overflow closed at once, while another client is still answered; a
//! request naming a `Host` the server does not answer (DNS rebinding) gets
//! 421 before any route runs.

use std::{net::SocketAddr, time::Duration};

use reqwest::{StatusCode, header};
use serde_json::json;
use test_support::{PASSWORD, client, expect_error, unique_email};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::processes::{self, Server};

/// session-app's binary with `env` on top of a private data folder; its
/// address once it listens.
async fn start(env: &[(&str, &str)]) -> (Server, SocketAddr, tempfile::TempDir) {
    let dir = test_support::data_dir();
    let data = dir.path().display().to_string();
    let env = [&[("DATA_DIR", data.as_str())][..], env].concat();
    let mut server = Server::spawn("session-app", &processes::session_app(), &env, dir.path());
    let url = server.address().await;
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    (server, addr, dir)
}

/// Whether the server closes `stream` (EOF or reset) within `limit`,
/// whatever it writes before.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let (mut server, addr, _dir) = start(&[("HEADER_READ_TIMEOUT", "1s")]).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    // The request line and one header, and never the blank line that ends them.
    slow.write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .await
        .unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(20)).await,
        "a request whose headers never end is still open well past HEADER_READ_TIMEOUT=1s"
    );
    let health = client()
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    server.stop().await;
}

/// Sends `request` on `stream` and reads its whole answer (headers and a
/// `Content-Length` body); the status line.
async fn exchange(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer was complete");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length: usize = text[..end]
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        if got.len() >= end + 4 + length {
            return text.lines().next().unwrap_or_default().to_owned();
        }
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    // The header-read timeout far longer: only KEEP_ALIVE_TIMEOUT can close it.
    let (mut server, addr, _dir) =
        start(&[("KEEP_ALIVE_TIMEOUT", "1s"), ("HEADER_READ_TIMEOUT", "60s")]).await;
    let get = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert!(exchange(&mut conn, &get).await.contains(" 200 "));
    // Kept alive: a second request within the timeout is answered on it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(exchange(&mut conn, &get).await.contains(" 200 "));
    assert!(
        closed_within(&mut conn, Duration::from_secs(10)).await,
        "an idle keep-alive connection is still open well past KEEP_ALIVE_TIMEOUT=1s"
    );

    // A request whose body comes slowly is in flight, not idle, and a next
    // request begun after an answer is the header-read timeout's: neither
    // is cut at the keep-alive timeout.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    assert!(exchange(&mut slow, &get).await.contains(" 200 "));
    let body = format!(
        r#"{{"email":"{}","password":"{PASSWORD}"}}"#,
        unique_email("keep-alive")
    );
    slow.write_all(
        format!(
            "POST /register HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    slow.write_all(b"\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(exchange(&mut slow, &body).await.contains(" 201 "));
    server.stop().await;
}

#[tokio::test]
async fn idle_connections_over_the_per_address_cap_are_closed_and_others_answered() {
    let (mut server, addr, _dir) = start(&[
        ("MAX_CONNECTIONS_PER_ADDRESS", "10"),
        ("MAX_CONNECTIONS", "40"),
        ("HEADER_READ_TIMEOUT", "60s"),
    ])
    .await;
    // 30 idle connections from 127.0.0.1: ten are admitted, twenty closed at once.
    let mut flood = Vec::new();
    for _ in 0..30 {
        flood.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut closed = 0;
    for stream in &mut flood {
        if closed_within(stream, Duration::from_millis(300)).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed, 20,
        "the connections over the cap of 10 are closed at once"
    );

    // Another client (127.0.0.2: the loopback network is all this machine)
    // is answered while the flood holds its ten.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let health = other
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // The flooding address gets nothing more.
    let mut more = TcpStream::connect(addr).await.unwrap();
    assert!(closed_within(&mut more, Duration::from_secs(5)).await);
    drop(flood);
    server.stop().await;
}

#[tokio::test]
async fn a_rebinding_host_is_refused_before_any_route() {
    let (mut server, addr, _dir) = start(&[]).await;
    let port = addr.port();
    let c = client();
    let email = unique_email("rebind");
    let evil = format!("rebind.evil.example:{port}");
    let res = c
        .post(format!("http://{addr}/register"))
        .header(header::HOST, &evil)
        .header(header::ORIGIN, format!("http://{evil}"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::MISDIRECTED_REQUEST, "misdirected_request").await;

    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let res = c
            .get(format!("http://{addr}/health"))
            .header(header::HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "Host {host}");
    }
    // Nothing was registered: the address is still free.
    let res = c
        .post(format!("http://{addr}/register"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    server.stop().await;
}
