use reqwest::{StatusCode, header};
use serde_json::Value;
use test_support::{PASSWORD, expect_error, json, unique_email};

use crate::helpers::{AUDIENCE, ISSUER, claims, jwt_part, spawn_app};

#[tokio::test]
async fn login_returns_the_token_fields() {
    let app = spawn_app(&[]).await;
    let email = unique_email("login");
    app.register(&email).await;

    let res = test_support::login(&app.client, &app.server, &email, PASSWORD).await;
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store",
        "token responses must not be cached"
    );
    let (status, body) = json(res).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    // REFRESH_IDLE_TIMEOUT (30 min) is shorter than REFRESH_TTL (7 days).
    assert_eq!(body["refresh_expires_in"], 30 * 60);
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
    // 32 random bytes in unpadded base64url.
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
}

#[tokio::test]
async fn the_access_token_carries_the_claims() {
    let app = spawn_app(&[]).await;
    let email = unique_email("claims");
    let res = test_support::register(&app.client, &app.server, &email, PASSWORD).await;
    let (_, user) = json(res).await;
    let first = app.login(&email).await;
    let second = app.login(&email).await;

    assert_eq!(jwt_part(&first.access, 0)["alg"], "HS256");
    let c = claims(&first.access);
    assert_eq!(c["sub"], user["id"].to_string());
    assert_eq!(c["email"], email.as_str());
    assert_eq!(c["role"], "user");
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(c["aud"], AUDIENCE);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert!(uuid::Uuid::parse_str(c["jti"].as_str().unwrap()).is_ok());
    assert!(c["sid"].as_str().is_some_and(|s| !s.is_empty()));

    let other = claims(&second.access);
    assert_ne!(c["jti"], other["jti"], "every token has its own jti");
    assert_ne!(
        c["sid"], other["sid"],
        "every login starts its own refresh family"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let app = spawn_app(&[]).await;
    let email = unique_email("wrong");
    app.register(&email).await;
    let res = test_support::login(&app.client, &app.server, &email, "not the password").await;
    expect_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let res = test_support::login(&app.client, &app.server, "nobody@example.com", PASSWORD).await;
    let body: Value = expect_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert!(body.get("access_token").is_none());
}
