//! `GET /.well-known/jwks.json`: the public key with EdDSA, in the form
//! every JWT library reads, named by its RFC 7638 thumbprint; nothing with
//! HS256, whose key is a secret.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use reqwest::{StatusCode, header};
use sha2::{Digest, Sha256};
use test_support::{expect_error, json};

use crate::helpers::{jwt_part, spawn_app, spawn_app_without_secret};

const JWKS: &str = "/.well-known/jwks.json";

#[tokio::test]
async fn eddsa_publishes_its_public_key_and_its_tokens_name_it() {
    let app = spawn_app_without_secret(&["--jwt-alg", "EdDSA"]).await;
    let res = app.get(JWKS, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(cache, "public, max-age=300");
    let (_, body) = json(res).await;

    // The public half of the key file's seed, computed here on our own.
    let seed = std::fs::read(app.data_dir.path().join("jwt-ed25519.key")).unwrap();
    let public = SigningKey::from_bytes(&seed.try_into().unwrap()).verifying_key();
    let x = URL_SAFE_NO_PAD.encode(public.to_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));

    let keys = body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{body}");
    let key = &keys[0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["x"], x.as_str());
    assert_eq!(key["kid"], kid.as_str());
    assert!(key.get("d").is_none(), "no private part: {key}");

    let (_, tokens) = app.user("jwks").await;
    let token_header = jwt_part(&tokens.access, 0);
    assert_eq!(token_header["kid"], kid.as_str());
    assert_eq!(token_header["alg"], "EdDSA");

    // The same key after a restart: the same kid.
    let app = app.restart().await;
    let (_, body) = json(app.get(JWKS, None).await).await;
    assert_eq!(body["keys"][0]["kid"], kid.as_str());
}

/// A browser sends its cookies to every path: the public key set stays
/// cacheable all the same, while other answers to a request with a
/// credential stay no-store.
#[tokio::test]
async fn the_key_set_stays_cacheable_when_the_request_carries_a_credential() {
    let app = spawn_app_without_secret(&["--jwt-alg", "EdDSA"]).await;
    let with_credentials = |path: &str| {
        app.client
            .get(app.url(path))
            .header(header::COOKIE, "access_token=x; theme=dark")
            .header(header::AUTHORIZATION, "Bearer x")
            .send()
    };
    let res = with_credentials(JWKS).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=300");
    assert!(res.headers().get(header::SET_COOKIE).is_none());

    let res = with_credentials("/health").await.unwrap();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn hs256_has_no_key_to_publish() {
    let app = spawn_app(&[]).await;
    let body = expect_error(
        app.get(JWKS, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("shared secret") && message.contains("mint"),
        "{message}"
    );
    let (_, tokens) = app.user("hmac").await;
    assert!(
        jwt_part(&tokens.access, 0).get("kid").is_none(),
        "no published key, no kid"
    );
}
