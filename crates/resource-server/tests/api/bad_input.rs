//! Whatever a client sends, the answer is a 4xx JSON error and the server
//! goes on serving.

use reqwest::{StatusCode, header};
use test_support::{client, expect_error, json};

use crate::helpers::{
    Resource, jwt_app, jwt_resource, resource_config, session_app, session_resource, status_of,
};

async fn still_serving(rs: &Resource) {
    assert_eq!(
        status_of(rs.get("/health", None).await).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn garbage_and_oversized_bearer_values_are_401_json() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let huge = "a".repeat(9 * 1024);
    let many_dots = ".".repeat(5000);
    let values = [
        "Bearer".to_owned(),
        "Bearer not.a.token".to_owned(),
        "Bearer ....".to_owned(),
        format!("Bearer {many_dots}"),
        "Bearer eyJhbGciOiJFZERTQSIsImtpZCI6IngifQ.e30.AAAA".to_owned(),
        "Bearer eyJ0eXAiOiJhdCtqd3QifQ.eyJ9.x".to_owned(),
        format!("Bearer {huge}"),
        format!("Bearer {}.{huge}.x", "eyJhbGciOiJFZERTQSIsImtpZCI6IngifQ"),
    ];
    for value in &values {
        let res = client()
            .get(rs.url("/notes"))
            .header(header::AUTHORIZATION, value)
            .send()
            .await
            .expect("send");
        let shown = &value[..value.len().min(60)];
        let challenge = crate::helpers::challenge(&res);
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{shown}: {challenge}"
        );
        expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Another scheme is no credential: the bare challenge.
    let res = client()
        .get(rs.url("/notes"))
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .send()
        .await
        .expect("send");
    assert_eq!(crate::helpers::challenge(&res), "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let res = client().post(rs.url("/notes")).send().await.expect("send");
    expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let res = client().get(rs.url("/nowhere")).send().await.expect("send");
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(rs.counters().await.get("verified_requests"), 0);
    still_serving(&rs).await;
}

#[tokio::test]
async fn odd_cookies_are_401_json_and_oversized_ones_are_not_sent_on() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let huge = format!("sid={}", "a".repeat(20 * 1024));
    let cookies = [
        "sid=",
        "sid",
        "sid=not-a-session-id",
        "sid=%00%ff",
        "=;;;=",
        huge.as_str(),
    ];
    for cookie in cookies {
        let res = client()
            .get(rs.url("/notes"))
            .header(header::COOKIE, cookie)
            .send()
            .await
            .expect("send");
        let (status, body) = json(res).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{}: {body}",
            &cookie[..cookie.len().min(40)]
        );
        assert_eq!(body["error"], "unauthorized");
    }
    assert_eq!(
        rs.counters().await.get("introspections"),
        2,
        "only the two well-formed session cookies were asked about"
    );
    still_serving(&rs).await;
}

#[tokio::test]
async fn the_counters_stay_on_loopback_and_the_login_server_on_http() {
    let url = "http://127.0.0.1:3000";
    let public = resource_config(url, &["--bind", "0.0.0.0"]).expect("arguments");
    let err = resource_server::app(public).await.expect_err("refused");
    assert!(err.to_string().contains("loopback"), "{err}");

    let tls = resource_config("https://login.example.com", &[]).expect("arguments");
    let err = resource_server::app(tls).await.expect_err("refused");
    assert!(err.to_string().contains("http://"), "{err}");

    let leeway = resource_config(url, &["--jwt-leeway", "60s"]).expect("arguments");
    let err = resource_server::app(leeway).await.expect_err("refused");
    assert!(err.to_string().contains("JWT_LEEWAY"), "{err}");
}

#[tokio::test]
async fn without_upstream_stats_there_is_no_debug_route() {
    use clap::Parser;
    let config = resource_server::Config::try_parse_from([
        "resource-server",
        "--jwt-app-url",
        "http://127.0.0.1:9",
    ])
    .expect("arguments");
    let rs = Resource {
        server: test_support::TestServer::start(resource_server::app(config).await.expect("app"))
            .await,
    };
    let res = rs.get("/debug/upstream", None).await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

/// Issue 21: `/debug/upstream` is refused behind a proxy (TRUST_PROXY), and
/// answers only a loopback `Host`.
#[tokio::test]
async fn the_counters_are_refused_behind_a_proxy_and_answer_a_loopback_host_only() {
    let url = "http://127.0.0.1:3000";
    let proxied = resource_config(url, &["--trust-proxy", "127.0.0.1"]).expect("arguments");
    let err = resource_server::app(proxied).await.expect_err("refused");
    assert!(err.to_string().contains("TRUST_PROXY"), "{err}");

    let rs = crate::helpers::resource("http://127.0.0.1:9", &[]).await;
    let c = test_support::client();
    let get = |host: &'static str| {
        c.get(rs.url("/debug/upstream"))
            .header(reqwest::header::HOST, host)
            .send()
    };
    assert_eq!(get("127.0.0.1").await.unwrap().status(), StatusCode::OK);
    let res = get("api.example.com").await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
}
