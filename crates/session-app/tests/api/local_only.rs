//! Debug routes and the workshop's unsafe switch are for one's own machine
//! (issue 21): refused at start behind a proxy (TRUST_PROXY, COOKIE_SECURE),
//! and `/debug/store` answers only a loopback `Host`.

use reqwest::{StatusCode, header};
use test_support::{client, expect_error, json};

use crate::helpers::{spawn_app, try_start_in};

#[tokio::test]
async fn debug_and_unsafe_flags_are_refused_behind_a_proxy() {
    let dir = test_support::data_dir();
    for flag in ["--store-stats", "--unsafe-disable-csrf-check"] {
        for (proxy, named) in [
            (&["--trust-proxy", "127.0.0.1"][..], "TRUST_PROXY"),
            (&["--cookie-secure"][..], "COOKIE_SECURE"),
        ] {
            let args = [&[flag][..], proxy].concat();
            let refused = try_start_in(dir.path(), &args).await;
            let Err(e) = refused else {
                panic!("session-app started with {args:?}");
            };
            let message = format!("{e:#}");
            assert!(
                message.contains(named) && message.lines().count() == 1,
                "one line that names {named}: {message}"
            );
        }
    }
}

#[tokio::test]
async fn debug_store_answers_a_loopback_host_only() {
    let app = spawn_app(&["--store-stats"]).await;
    let c = client();
    let port = app.server.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "[::1]".to_owned(),
    ] {
        let res = c
            .get(app.server.url("/debug/store"))
            .header(header::HOST, &host)
            .send()
            .await
            .unwrap();
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK, "Host {host}: {body}");
    }
    for host in [
        "app.example.com",
        "192.0.2.1:3001",
        "localhost.evil.example",
    ] {
        let res = c
            .get(app.server.url("/debug/store"))
            .header(header::HOST, host)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }
}
