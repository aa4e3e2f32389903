use std::os::unix::fs::PermissionsExt;

use reqwest::StatusCode;

use crate::helpers::{config, spawn_app_without_secret};

/// The message of the error `app()` refuses to start with, and whether it
/// left a key file behind.
async fn app_error(args: &[&str]) -> (String, bool) {
    let dir = test_support::data_dir();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let config = config(dir.path(), &args).expect("arguments that parse");
    let err = jwt_app::app(config)
        .await
        .expect_err("the app must refuse to start");
    let key_written = dir.path().join("jwt-hs256.key").exists();
    (format!("{err:#}"), key_written)
}

#[tokio::test]
async fn a_short_jwt_secret_is_refused_at_start() {
    let (message, _) = app_error(&["--jwt-secret", "only-31-bytes-long-secret-here!"]).await;
    assert!(
        message.contains("JWT_SECRET") && message.contains("32"),
        "{message}"
    );
}

#[tokio::test]
async fn a_leeway_over_five_seconds_is_refused_at_start() {
    let (message, key_written) = app_error(&["--jwt-leeway", "60"]).await;
    assert!(message.contains("JWT_LEEWAY"), "{message}");
    assert!(!key_written, "a refused configuration writes nothing");
}

#[tokio::test]
async fn the_key_file_is_private_and_tokens_survive_a_restart() {
    let app = spawn_app_without_secret(&[]).await;
    let key = app.data_dir.path().join("jwt-hs256.key");
    let meta = std::fs::metadata(&key).expect("the key file exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 32);
    let before = std::fs::read(&key).unwrap();

    let (_, tokens) = app.user("restart").await;
    let app = app.restart().await;

    assert_eq!(std::fs::read(&key).unwrap(), before, "the key is reused");
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.refresh(&tokens.refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_corrupt_key_file_stops_the_start() {
    let dir = test_support::data_dir();
    std::fs::write(dir.path().join("jwt-hs256.key"), b"too short").unwrap();
    let config = config(dir.path(), &[]).unwrap();
    let message = format!("{:#}", jwt_app::app(config).await.expect_err("refused"));
    assert!(message.contains("jwt-hs256.key"), "{message}");
}
