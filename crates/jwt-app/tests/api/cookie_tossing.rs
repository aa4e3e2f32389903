//! Cookie tossing (issue 21, suspected, confirmed): a sibling subdomain of
//! the site may set `__Secure-refresh_token` with `Domain=<parent>` (the
//! `__Secure-` prefix allows a `Domain`; only `__Host-` forbids it). The
//! browser then sends the name twice to `/refresh`, which refuses a name
//! sent twice, so every refresh failed for as long as the tossed copy
//! lived: forced logouts. Now the refusal also expires the tossed copy
//! (its `Domain` named, the host-only cookie of this server untouched), and
//! the next refresh works.

use reqwest::{StatusCode, header};
use test_support::{PASSWORD, client, unique_email};

use crate::helpers::{expect_invalid_grant, spawn_app};

#[tokio::test]
async fn a_tossed_refresh_cookie_is_expired_and_the_login_survives() {
    let app = spawn_app(&["--token-transport", "cookie", "--cookie-secure"]).await;
    let email = unique_email("tossed");
    app.register(&email).await;
    let login = test_support::login(&client(), &app.server, &email, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let refresh = login
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Secure-refresh_token="))
        .and_then(|v| v.split(';').next())
        .expect("a refresh cookie")
        .to_owned();

    let port = app.server.addr.port();
    let refresh_with = |cookie: String| {
        client()
            .post(app.url("/refresh"))
            .header(header::HOST, format!("app.example.com:{port}"))
            .header(header::COOKIE, cookie)
            .send()
    };
    // What the browser sends once evil.example.com tossed its copy.
    let tossed = format!("__Secure-refresh_token=tossed-by-a-sibling; {refresh}");
    let res = refresh_with(tossed).await.unwrap();
    let expired: Vec<String> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    expect_invalid_grant(res).await;
    assert!(
        expired
            .iter()
            .any(|c| c.starts_with("__Secure-refresh_token=;")
                && c.contains("Domain=example.com")
                && c.contains("Max-Age=0")
                && c.contains("Path=/refresh")),
        "the tossed copy is expired at its Domain: {expired:?}"
    );
    assert!(
        expired.iter().all(|c| c.contains("Domain=")),
        "this server's own host-only cookie is left alone: {expired:?}"
    );
    // With the tossed copy gone, the owner's refresh cookie still works.
    let res = refresh_with(refresh).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the login survived");
}
