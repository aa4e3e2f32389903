use reqwest::{StatusCode, header};
use test_support::{PASSWORD, client, contract::sid_cookie, login, register, unique_email};

use crate::helpers::spawn_app;

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn login_sets_a_hardened_sid_cookie() {
    let app = spawn_app(&["--session-ttl", "2h"]).await;
    let c = client();
    let email = unique_email("cookie");
    register(&c, &app.server, &email, PASSWORD).await;
    let res = login(&c, &app.server, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res);
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("sid="), "{cookie}");
    assert!(attrs.contains(&"HttpOnly"), "{cookie}");
    assert!(attrs.contains(&"SameSite=Lax"), "{cookie}");
    assert!(attrs.contains(&"Path=/"), "{cookie}");
    assert!(
        attrs.contains(&"Max-Age=7200"),
        "Max-Age is the session TTL: {cookie}"
    );
    assert!(
        !attrs.contains(&"Secure"),
        "Secure only when COOKIE_SECURE=true: {cookie}"
    );
    // tower-sessions ids are 128 random bits, base64url: 22 characters.
    assert!(attrs[0].len() >= "sid=".len() + 22, "{cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["email"], email);
    assert_eq!(body["expires_in"], 7200);
}

#[tokio::test]
async fn cookie_secure_adds_secure() {
    let app = spawn_app(&["--cookie-secure"]).await;
    let c = client();
    let email = unique_email("secure");
    register(&c, &app.server, &email, PASSWORD).await;
    let cookie = set_cookie(&login(&c, &app.server, &email, PASSWORD).await);
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
}

/// Session fixation: a session id the client held before login must not be
/// the one that is logged in afterwards.
#[tokio::test]
async fn the_session_id_changes_at_login() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        let c = client();
        let email = unique_email("fix");
        register(&c, &app.server, &email, PASSWORD).await;
        let first = sid_cookie(&login(&c, &app.server, &email, PASSWORD).await).unwrap();
        let again = c
            .post(app.server.url("/login"))
            .header(header::COOKIE, &first)
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let second = sid_cookie(&again).expect("a new sid at login");
        assert_ne!(first, second, "{store}: the id must change at login");
        let old = c
            .get(app.server.url("/protected"))
            .header(header::COOKIE, &first)
            .send()
            .await
            .unwrap();
        assert_eq!(
            old.status(),
            StatusCode::UNAUTHORIZED,
            "{store}: the pre-login id is dead"
        );
        let new = c
            .get(app.server.url("/protected"))
            .header(header::COOKIE, &second)
            .send()
            .await
            .unwrap();
        assert_eq!(new.status(), StatusCode::OK, "{store}");
    }
}

/// A failed login leaves no session behind and sets no cookie.
#[tokio::test]
async fn a_failed_login_sets_no_cookie() {
    let app = spawn_app(&[]).await;
    let res = login(&client(), &app.server, &unique_email("nobody"), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(sid_cookie(&res).is_none());
}
