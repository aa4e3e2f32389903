use reqwest::StatusCode;
use test_support::{expect_error, json};

use crate::helpers::{
    SECRET, challenge, claims, expect_invalid_token, sign, spawn_app, valid_claims,
};

#[tokio::test]
async fn protected_routes_answer_with_a_token() {
    let app = spawn_app(&[]).await;
    let (email, tokens) = app.user("bearer").await;

    let (status, body) = json(app.get("/protected", Some(&tokens.access)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email"], email.as_str());
    assert_eq!(body["message"], format!("Hello {email}"));

    let (status, body) = json(app.get("/profile", Some(&tokens.access)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email"], email.as_str());
    assert_eq!(body["role"], "user");
    assert!(body["created_at"].is_string());
}

#[tokio::test]
async fn without_a_token_the_challenge_has_no_error_code() {
    let app = spawn_app(&[]).await;
    for path in ["/protected", "/profile"] {
        let res = app.get(path, None).await;
        assert_eq!(challenge(&res), "Bearer");
        expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Another scheme is no bearer credential at all (RFC 6750 §3.1).
    let res = app
        .get_with_authorization("/protected", "Basic dXNlcjpwYXNz")
        .await;
    assert_eq!(challenge(&res), "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_garbage_token_is_an_invalid_token() {
    let app = spawn_app(&[]).await;
    expect_invalid_token(app.get("/protected", Some("garbage")).await).await;
    expect_invalid_token(app.get("/profile", Some("a.b.c")).await).await;
    expect_invalid_token(app.get_with_authorization("/protected", "Bearer ").await).await;
}

#[tokio::test]
async fn the_scheme_name_is_case_insensitive() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("scheme").await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let value = format!("{scheme} {}", tokens.access);
        let res = app.get_with_authorization("/protected", &value).await;
        assert_eq!(res.status(), StatusCode::OK, "scheme {scheme}");
    }
    expect_invalid_token(app.get_with_authorization("/protected", "bearer x").await).await;
}

/// A huge credential must cost the server nothing: it is refused on its
/// length alone, even one correctly signed (the reason names the limit, not
/// a decoding or signature failure).
#[tokio::test]
async fn a_bearer_credential_over_8_kib_is_refused_before_decoding() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("huge").await;
    let mut c = valid_claims(&claims(&tokens.access));
    c["padding"] = serde_json::json!("x".repeat(8 * 1024));
    let token = sign(&c, SECRET);
    assert!(token.len() > 8 * 1024);
    let res = app.get("/protected", Some(&token)).await;
    assert!(challenge(&res).contains("8 KiB"), "{}", challenge(&res));
    expect_invalid_token(res).await;

    // Just under the limit, a signed token still passes.
    let mut c = valid_claims(&claims(&tokens.access));
    c["padding"] = serde_json::json!("x".repeat(5 * 1024));
    let res = app.get("/protected", Some(&sign(&c, SECRET))).await;
    assert_eq!(res.status(), StatusCode::OK);
}
