use reqwest::{StatusCode, header};
use test_support::{
    PASSWORD, TestServer, client,
    contract::{Credential, new_user},
    expect_error, unique_email,
};

use crate::helpers::{spawn_app, try_start_in};

/// A logout with `cred` and the header `name: value` is refused as `csrf`,
/// and the session survives it.
async fn logout_is_refused(server: &TestServer, cred: &Credential, name: &str, value: &str) {
    let c = client();
    let res = cred
        .attach(c.post(server.url("/logout")))
        .header(name, value)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "csrf").await;
    let still = cred
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "the refused logout changed nothing"
    );
}

#[tokio::test]
async fn a_cross_origin_post_is_refused() {
    let app = spawn_app(&[]).await;
    let c = client();
    let (_, cred) = new_user(&app.server, "csrf").await;

    logout_is_refused(&app.server, &cred, "origin", "https://evil.example").await;

    let null = c
        .post(app.server.url("/register"))
        .header(header::ORIGIN, "null")
        .json(&serde_json::json!({"email": unique_email("null"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_error(null, StatusCode::FORBIDDEN, "csrf").await;

    logout_is_refused(&app.server, &cred, "sec-fetch-site", "cross-site").await;

    // A cross-origin GET only reads, and SameSite=Lax already keeps the cookie off sub-requests.
    let get = cred
        .attach(c.get(app.server.url("/protected")))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::OK);

    let own = format!("http://{}", app.server.addr);
    let same = cred
        .attach(c.post(app.server.url("/logout")))
        .header(header::ORIGIN, own)
        .send()
        .await
        .unwrap();
    assert_eq!(
        same.status(),
        StatusCode::NO_CONTENT,
        "same-origin requests pass"
    );
}

/// An `https://` page is another origin than this plain-HTTP server on the
/// same host and port (RFC 6454: scheme, host and port): a page served over
/// HTTPS by something else on that port, or a downgrade, must not ride the cookie.
#[tokio::test]
async fn cross_scheme_origin_is_refused() {
    let app = spawn_app(&[]).await;
    let c = client();
    let (_, cred) = new_user(&app.server, "scheme").await;
    let https = format!("https://{}", app.server.addr);
    logout_is_refused(&app.server, &cred, "origin", &https).await;

    // With COOKIE_SECURE the server is reached over HTTPS (directly or behind a
    // TLS proxy): its own origin is https://, and http:// is the foreign one.
    let secure = spawn_app(&["--cookie-secure"]).await;
    let register = |origin: String| {
        c.post(secure.server.url("/register"))
            .header(header::ORIGIN, origin)
            .json(&serde_json::json!({"email": unique_email("scheme"), "password": PASSWORD}))
            .send()
    };
    let plain = register(format!("http://{}", secure.server.addr))
        .await
        .unwrap();
    expect_error(plain, StatusCode::FORBIDDEN, "csrf").await;
    let own = register(format!("https://{}", secure.server.addr))
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::CREATED,
        "its own https origin passes"
    );
}

/// Without `Origin`, `Sec-Fetch-Site: same-site` is a sibling subdomain's page
/// (another origin, which SameSite=Lax lets the cookie ride with): refused
/// like `cross-site`. `same-origin` and `none` (the user typed it) pass.
#[tokio::test]
async fn same_site_fetch_without_origin_is_refused() {
    let app = spawn_app(&[]).await;
    let c = client();
    let (_, cred) = new_user(&app.server, "samesite").await;
    logout_is_refused(&app.server, &cred, "sec-fetch-site", "same-site").await;

    let own = cred
        .attach(c.post(app.server.url("/logout")))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::NO_CONTENT);
}

/// `UNSAFE_DISABLE_CSRF_CHECK` exists so that the workshop can show the
/// forged logout succeeding: with it, what the check refuses above passes.
#[tokio::test]
async fn the_unsafe_flag_lets_a_cross_origin_logout_through() {
    let app = spawn_app(&["--unsafe-disable-csrf-check"]).await;
    let c = client();
    let (_, cred) = new_user(&app.server, "unsafe").await;
    let forged = cred
        .attach(c.post(app.server.url("/logout")))
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NO_CONTENT);
    let gone = cred
        .attach(c.get(app.server.url("/protected")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        StatusCode::UNAUTHORIZED,
        "the forged logout ended the session"
    );
}

#[tokio::test]
async fn the_unsafe_flag_is_refused_off_loopback() {
    let dir = test_support::data_dir();
    let err = try_start_in(
        dir.path(),
        &["--unsafe-disable-csrf-check", "--bind", "0.0.0.0"],
    )
    .await
    .err()
    .expect("a public BIND with the CSRF check off must not start");
    let message = err.to_string();
    assert!(
        message.contains("UNSAFE_DISABLE_CSRF_CHECK") && message.contains("loopback"),
        "{message}"
    );
}
