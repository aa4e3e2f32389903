//! Jwt mode: tokens verified here with the key jwt-app published, without
//! asking jwt-app anything per request.

use std::time::Duration;

use reqwest::StatusCode;
use test_support::{expect_error, json};

use crate::helpers::{
    LoginServer, jwt_app, jwt_resource, resource, sign_eddsa, status_of, stranger_key,
};

#[tokio::test]
async fn a_valid_token_is_verified_here_without_calling_jwt_app() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let before = rs.counters().await;
    assert_eq!(before.get("jwks_fetches"), 1, "the fetch at start");
    assert_eq!(before.get("upstream_calls"), 1);

    let (email, cred) = jwt.user("reader").await;
    for _ in 0..5 {
        let (status, body) = json(rs.get("/notes", Some(&cred)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["user"]["email"], email.as_str());
        assert_eq!(body["user"]["role"], "user");
        assert!(body["notes"].as_array().is_some_and(|n| !n.is_empty()));
    }

    let after = rs.counters().await;
    assert_eq!(after.get("upstream_calls"), before.get("upstream_calls"));
    assert_eq!(after.get("jwks_fetches"), before.get("jwks_fetches"));
    assert_eq!(
        after.get("verified_requests"),
        before.get("verified_requests") + 5
    );
    assert_eq!(after.0["mode"], "jwt");
}

#[tokio::test]
async fn verification_goes_on_while_jwt_app_is_down() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let (_, cred) = jwt.user("offline").await;
    let before = rs.counters().await;
    let stopped = jwt.stop().await;
    let no_one = test_support::client()
        .get(format!("http://{}/health", stopped.addr))
        .send()
        .await;
    assert!(no_one.is_err(), "jwt-app is really gone");

    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
    let after = rs.counters().await;
    assert_eq!(after.get("upstream_calls"), before.get("upstream_calls"));
    assert_eq!(
        after.get("verified_requests"),
        before.get("verified_requests") + 1
    );
}

/// `just` users start things in any order: before jwt-app answers, requests
/// get 503 (no verdict on the token), and the keys are fetched once it does.
#[tokio::test]
async fn a_resource_server_started_first_answers_503_until_jwt_app_is_up() {
    let port = test_support::free_port().expect("a free port");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let rs = resource(&format!("http://{addr}"), &[]).await;

    // Whatever the token, no verdict without the keys.
    let token = sign_eddsa(
        &serde_json::json!({"sub": "1"}),
        &stranger_key(),
        "some-kid",
    );
    let res = rs.get_bearer("/notes", &token).await;
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let (status, body) = json(rs.get("/health", None).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["login_server_keys"], "down", "{body}");

    let jwt = LoginServer::jwt_app_on(addr, &[]).await;
    let (_, cred) = jwt.user("late").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = status_of(rs.get("/notes", Some(&cred)).await).await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "never 401 while waiting"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the keys never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let counts = rs.counters().await;
    assert!(
        counts.get("jwks_fetches") >= 2,
        "failed attempts are calls too: {counts:?}"
    );
    assert_eq!(counts.get("upstream_calls"), counts.get("jwks_fetches"));
}

/// jwt-app with HS256 has no key to publish: the resource server never gets
/// one, says so on /health, and refuses HS256 tokens on their algorithm.
#[tokio::test]
async fn behind_an_hs256_jwt_app_there_is_no_key_and_hs256_tokens_are_refused() {
    let jwt = jwt_app(&["--jwt-alg", "HS256"]).await;
    let rs = resource(&jwt.url(), &[]).await;
    let (_, cred) = jwt.user("hmac").await;
    let res = rs.get("/notes", Some(&cred)).await;
    let challenge = crate::helpers::challenge(&res);
    assert!(challenge.contains("accepted algorithm"), "{challenge}");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = json(rs.get("/health", None).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(rs.counters().await.get("jwks_fetches") >= 1);
}
