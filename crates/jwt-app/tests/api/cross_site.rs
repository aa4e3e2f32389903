//! A page on another site (issue 22): `ALLOWED_ORIGINS` and
//! `COOKIE_SAMESITE`. The CORS answers are contract rules (`cors_rules`,
//! on both transports); here, what only jwt-app does: its token cookies'
//! attributes, and the settings it refuses to start with.

use reqwest::{StatusCode, header};
use serde_json::json;
use test_support::{PASSWORD, contract::ALLOWED_ORIGIN, unique_email};

use crate::helpers::{config, spawn_app};

#[tokio::test]
async fn malformed_origins_and_a_lone_samesite_none_refuse_to_start() {
    let dir = test_support::data_dir();
    for (args, named) in [
        (
            &["--allowed-origins", "http://localhost:5173/"][..],
            "http://localhost:5173/",
        ),
        (&["--allowed-origins", "*"][..], "\"*\""),
        (&["--allowed-origins", "app.example"][..], "app.example"),
        (
            &["--allowed-origins", "http://localhost:5173, null"][..],
            "null",
        ),
        (
            &["--token-transport", "cookie", "--cookie-samesite", "none"][..],
            "ALLOWED_ORIGINS",
        ),
        (&["--cookie-samesite", "none"][..], "ALLOWED_ORIGINS"),
    ] {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let config = config(dir.path(), &args).expect("parses");
        let Err(e) = jwt_app::app(config).await else {
            panic!("jwt-app started with {args:?}");
        };
        let message = format!("{e:#}");
        assert!(
            message.contains(named) && message.lines().count() == 1,
            "one line that names {named}: {message}"
        );
    }
}

/// The `Set-Cookie` lines of a login in the cookie transport, with `extra`.
async fn login_cookies(extra: &[&str]) -> Vec<String> {
    let app = spawn_app(&[&["--token-transport", "cookie"][..], extra].concat()).await;
    let email = unique_email("samesite");
    let body = json!({"email": email, "password": PASSWORD});
    let res = app
        .client
        .post(app.url("/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .client
        .post(app.url("/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|l| l.starts_with("access_token=") || l.starts_with("refresh_token="))
        .map(str::to_ascii_lowercase)
        .collect()
}

#[tokio::test]
async fn cookie_samesite_sets_the_token_cookies_and_none_adds_secure() {
    let lines = login_cookies(&[]).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        let expected = if line.starts_with("access_token=") {
            "samesite=lax"
        } else {
            "samesite=strict"
        };
        assert!(
            line.contains(expected) && !line.contains("secure"),
            "{line}"
        );
    }

    let lines = login_cookies(&["--cookie-samesite", "strict"]).await;
    assert!(
        lines.iter().all(|l| l.contains("samesite=strict")),
        "{lines:?}"
    );

    let lines = login_cookies(&[
        "--cookie-samesite",
        "none",
        "--allowed-origins",
        ALLOWED_ORIGIN,
    ])
    .await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        assert!(
            line.contains("samesite=none") && line.contains("; secure"),
            "the page on another site refreshes too: {line}"
        );
    }
}
