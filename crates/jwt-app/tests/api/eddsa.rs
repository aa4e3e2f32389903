use std::os::unix::fs::PermissionsExt;

use reqwest::StatusCode;

use crate::helpers::{
    SECRET, claims, expect_invalid_token, jwt_part, sign, spawn_app_without_secret, token_pair,
    valid_claims,
};

#[tokio::test]
async fn eddsa_works_end_to_end_and_survives_a_restart() {
    let app = spawn_app_without_secret(&["--jwt-alg", "EdDSA"]).await;
    let seed = app.data_dir.path().join("jwt-ed25519.key");
    let meta = std::fs::metadata(&seed).expect("the seed file exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);

    let (email, tokens) = app.user("eddsa").await;
    assert_eq!(jwt_part(&tokens.access, 0)["alg"], "EdDSA");
    assert_eq!(claims(&tokens.access)["email"], email.as_str());
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    let refreshed = token_pair(app.refresh(&tokens.refresh).await).await;
    assert_eq!(jwt_part(&refreshed.access, 0)["alg"], "EdDSA");

    let app = app.restart().await;
    assert_eq!(
        app.get("/protected", Some(&refreshed.access))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_eddsa_server_refuses_hs256_tokens() {
    // Even one signed with the very secret it was given: only EdDSA is accepted.
    let app = spawn_app_without_secret(&["--jwt-alg", "eddsa", "--jwt-secret", SECRET]).await;
    let (_, tokens) = app.user("confusion").await;
    let forged = sign(&valid_claims(&claims(&tokens.access)), SECRET);
    let res = app.get("/protected", Some(&forged)).await;
    expect_invalid_token(res).await;
}
