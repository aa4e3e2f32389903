//! Tokens the server must refuse although they look plausible.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    SECRET, TestApp, challenge, claims, expect_invalid_token, now, sign, sign_typed, spawn_app,
    valid_claims,
};

/// An app and the claims of one of its real tokens.
async fn app_and_claims() -> (TestApp, serde_json::Value) {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("forgery").await;
    let claims = claims(&tokens.access);
    (app, claims)
}

#[tokio::test]
async fn a_forged_token_with_the_right_secret_is_accepted() {
    // The control for every test below: only the one detail they change matters.
    let (app, base) = app_and_claims().await;
    let token = sign(&valid_claims(&base), SECRET);
    assert_eq!(
        app.get("/protected", Some(&token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (app, base) = app_and_claims().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(valid_claims(&base).to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let res = app.get("/protected", Some(&token)).await;
        let challenge = crate::helpers::challenge(&res);
        assert!(
            challenge.contains("accepted algorithm"),
            "the reason is named: {challenge}"
        );
        expect_invalid_token(res).await;
    }
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let (app, base) = app_and_claims().await;
    let token = sign(
        &valid_claims(&base),
        "another-secret-just-as-long-as-the-real-one",
    );
    let res = app.get("/protected", Some(&token)).await;
    assert!(challenge(&res).contains("signature"), "{}", challenge(&res));
    expect_invalid_token(res).await;
}

#[tokio::test]
async fn an_edited_payload_is_refused() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("edited").await;
    let mut parts: Vec<String> = tokens.access.split('.').map(str::to_owned).collect();
    let mut payload = claims(&tokens.access);
    payload["email"] = json!("admin@example.com");
    payload["role"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    let forged = parts.join(".");

    expect_invalid_token(app.get("/protected", Some(&forged)).await).await;
    expect_invalid_token(app.get("/admin", Some(&forged)).await).await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (app, base) = app_and_claims().await;
    let mut c = valid_claims(&base);
    c["iat"] = json!(now() - 960);
    c["exp"] = json!(now() - 60);
    let res = app.get("/protected", Some(&sign(&c, SECRET))).await;
    assert!(challenge(&res).contains("expired"), "{}", challenge(&res));
    expect_invalid_token(res).await;
}

#[tokio::test]
async fn the_exp_leeway_is_at_most_five_seconds() {
    let (app, base) = app_and_claims().await;
    let mut c = valid_claims(&base);
    c["exp"] = json!(now() - 7);
    expect_invalid_token(app.get("/protected", Some(&sign(&c, SECRET))).await).await;

    // Within the 5 s leeway, a token a few seconds past exp still passes.
    c["exp"] = json!(now() - 2);
    let res = app.get("/protected", Some(&sign(&c, SECRET))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let (app, base) = app_and_claims().await;
    let mut c = valid_claims(&base);
    c["nbf"] = json!(now() + 60);
    expect_invalid_token(app.get("/protected", Some(&sign(&c, SECRET))).await).await;
}

#[tokio::test]
async fn wrong_issuer_or_audience_is_refused() {
    let (app, base) = app_and_claims().await;
    let mut c = valid_claims(&base);
    c["iss"] = json!("someone-else");
    expect_invalid_token(app.get("/protected", Some(&sign(&c, SECRET))).await).await;

    let mut c = valid_claims(&base);
    c["aud"] = json!("another-api");
    expect_invalid_token(app.get("/protected", Some(&sign(&c, SECRET))).await).await;
}

#[tokio::test]
async fn a_token_missing_exp_iss_or_aud_is_refused() {
    let (app, base) = app_and_claims().await;
    for claim in ["exp", "iss", "aud"] {
        let mut c = valid_claims(&base);
        c.as_object_mut().unwrap().remove(claim);
        let res = app.get("/protected", Some(&sign(&c, SECRET))).await;
        assert!(challenge(&res).contains(claim), "{}", challenge(&res));
        expect_invalid_token(res).await;
    }
}

#[tokio::test]
async fn a_token_with_a_non_numeric_subject_is_refused() {
    let (app, base) = app_and_claims().await;
    let mut c = valid_claims(&base);
    c["sub"] = json!("not-a-number");
    expect_invalid_token(app.get("/protected", Some(&sign(&c, SECRET))).await).await;
}

/// RFC 9068 / RFC 8725 §3.11: another kind of JWT signed with the same key
/// (an ID token, a `JWT`-typed one) must not pass as an access token.
#[tokio::test]
async fn a_signed_token_not_typed_at_jwt_is_refused() {
    let (app, base) = app_and_claims().await;
    let (_, tokens) = app.user("typed").await;
    assert_eq!(crate::helpers::jwt_part(&tokens.access, 0)["typ"], "at+jwt");
    for typ in [Some("JWT"), None, Some("id+jwt")] {
        let token = sign_typed(&valid_claims(&base), SECRET, typ);
        let res = app.get("/protected", Some(&token)).await;
        assert!(
            challenge(&res).contains("at+jwt"),
            "{typ:?}: {}",
            challenge(&res)
        );
        expect_invalid_token(res).await;
    }
}
