//! TRUST_PROXY on a dual-stack socket (issue 21): bound on `::`, an IPv4
//! proxy's connection arrives as `::ffff:127.0.0.1`, which must still be the
//! trusted 127.0.0.1, or every client behind it is one address and five bad
//! guesses lock an account for everyone.

use std::net::SocketAddr;

use clap::Parser;
use reqwest::StatusCode;
use serde_json::json;
use session_app::{Config, app};
use test_support::{PASSWORD, TestServer, client, expect_error, unique_email};

#[tokio::test]
async fn trust_proxy_holds_on_a_dual_stack_bind() {
    let dual_stack: SocketAddr = "[::]:0".parse().unwrap();
    if std::net::TcpListener::bind(dual_stack).is_err() {
        test_support::skip_or_fail("IPv6 is not available: cannot bind [::]");
        return;
    }
    let dir = test_support::data_dir();
    let dir_arg = dir.path().display().to_string();
    let config = Config::try_parse_from([
        "session-app",
        "--data-dir",
        &dir_arg,
        "--bcrypt-cost",
        "4",
        "--bind",
        "::",
        "--trust-proxy",
        "127.0.0.1",
    ])
    .unwrap();
    let server = TestServer::start_on(dual_stack, app(config).await.unwrap()).await;
    // The proxy connects over IPv4 to the dual-stack socket.
    let url = format!("http://127.0.0.1:{}", server.addr.port());

    let c = client();
    let email = unique_email("dual-stack");
    let res = c
        .post(format!("{url}/register"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let from = |addr: &'static str, password: &'static str| {
        c.post(format!("{url}/login"))
            .header("x-forwarded-for", addr)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for _ in 0..5 {
        let res = from("192.0.2.66", "wrong password").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    expect_error(
        from("192.0.2.66", PASSWORD).await.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    assert_eq!(
        from("198.51.100.7", PASSWORD).await.unwrap().status(),
        StatusCode::OK,
        "::ffff:127.0.0.1 is the trusted proxy: the owner behind it has an address of its own"
    );
}
