//! `GET /session`: whom a cookie belongs to, with the role the database holds
//! now and when the session ends, for a service that holds no sessions.

use reqwest::{StatusCode, header};
use test_support::{contract::new_user, expect_error, get_with, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn session_tells_whom_the_cookie_belongs_to_with_the_role_now() {
    let app = spawn_app(&["--session-ttl", "1h", "--session-idle-timeout", "2h"]).await;
    let (email, cred) = new_user(&app.server, "introspected").await;
    let (_, other) = new_user(&app.server, "keeper").await;

    let res = get_with(&app.server, &cred, "/session").await;
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["id"].as_i64().is_some_and(|id| id > 0), "{body}");
    assert_eq!(body["email"], email.as_str());
    assert_eq!(body["role"], "user");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!((3_500..=3_600).contains(&expires_in), "{body}");
    let expires_at = body["expires_at"].as_str().expect("expires_at").to_owned();

    // The role as the database holds it now, without a new login.
    test_support::operator::set_role(&app, &email, "admin").await;
    let (_, body) = json(get_with(&app.server, &cred, "/session").await).await;
    assert_eq!(body["role"], "admin");
    // Asking does not extend the session: it ends when it ended.
    assert_eq!(body["expires_at"], expires_at.as_str());

    // Each cookie is its own user.
    let (_, body) = json(get_with(&app.server, &other, "/session").await).await;
    assert_ne!(body["email"], email.as_str());
}

#[tokio::test]
async fn without_a_live_session_it_is_401_json() {
    let app = spawn_app(&[]).await;
    let (_, cred) = new_user(&app.server, "gone").await;

    let res = test_support::client()
        .get(app.server.url("/session"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = get_with(&app.server, &cred.forged(), "/session").await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let logout = cred
        .attach(test_support::client().post(app.server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let res = get_with(&app.server, &cred, "/session").await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
