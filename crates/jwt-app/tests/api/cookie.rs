//! `--token-transport cookie`: the JWT in HttpOnly cookies. The contract
//! suite runs on it as on the header transport; the tests below are what
//! only this transport does: the cookies' attributes, refresh and logout
//! through cookies, and the CSRF check it needs because the browser
//! attaches the cookies by itself.

use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use test_support::{
    PASSWORD, contract::Credential, contract::login_credential, contract_suite, expect_error,
    get_with, json, unique_email,
};

use crate::helpers::{TestApp, challenge, claims, spawn_app};

const COOKIE: [&str; 2] = ["--token-transport", "cookie"];
const EVIL: &str = "https://evil.example";

async fn cookie_mode(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(&[&COOKIE[..], extra].concat()).await)
}

async fn cookie_denylist(extra: &[&str]) -> Option<TestApp> {
    cookie_mode(&[&["--denylist", "memory"], extra].concat()).await
}

contract_suite!(contract, "jwt-app", cookie_mode);
contract_suite!(contract_denylist, "jwt-app", cookie_denylist);
test_support::fuzz_suite!(fuzz, cookie_mode);

/// Every `Set-Cookie` line of a response.
fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect()
}

/// The line that sets `name`, and its attributes.
fn cookie_line(lines: &[String], name: &str) -> (String, Vec<String>) {
    let line = lines
        .iter()
        .find(|l| l.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {lines:?}"))
        .clone();
    let attrs = line
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .collect();
    (line, attrs)
}

fn has(attrs: &[String], want: &str) -> bool {
    attrs.iter().any(|a| a.eq_ignore_ascii_case(want))
}

async fn registered(app: &TestApp, prefix: &str) -> String {
    let email = unique_email(prefix);
    app.register(&email).await;
    email
}

async fn login(app: &TestApp, email: &str) -> Response {
    test_support::login(&app.client, &app.server, email, PASSWORD).await
}

/// `POST path` with `cred` and, if given, an `Origin`.
async fn post(app: &TestApp, path: &str, cred: &Credential, origin: Option<&str>) -> Response {
    let mut req = cred.attach(app.client.post(app.url(path)));
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    req.send().await.expect("POST")
}

#[tokio::test]
async fn login_sets_httponly_cookies_and_the_body_carries_no_token() {
    let app = spawn_app(&COOKIE).await;
    let email = registered(&app, "attrs").await;
    let res = login(&app, &email).await;
    let lines = set_cookies(&res);
    assert_eq!(
        res.headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"expires_in": 900, "refresh_expires_in": 30 * 60}),
        "lifetimes only: no token, and no token_type for a token the client does not hold"
    );

    let (line, attrs) = cookie_line(&lines, "access_token");
    for want in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900"] {
        assert!(has(&attrs, want), "{want} in {line}");
    }
    assert!(
        !has(&attrs, "Secure"),
        "plain HTTP without COOKIE_SECURE: {line}"
    );
    let access = line
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("a value");
    assert_eq!(
        claims(&access)["email"],
        email.as_str(),
        "the access token itself"
    );

    let (line, attrs) = cookie_line(&lines, "refresh_token");
    for want in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/refresh",
        "Max-Age=1800", // REFRESH_IDLE_TIMEOUT, shorter than REFRESH_TTL
    ] {
        assert!(has(&attrs, want), "{want} in {line}");
    }
    // The refresh cookie once more for /logout, and the device cookie
    // (auth_core::device), which carries no token: nothing else.
    let tokens: Vec<String> = lines
        .iter()
        .filter(|l| !l.starts_with("device="))
        .cloned()
        .collect();
    assert_eq!(tokens.len(), 3, "{lines:?}");
    assert!(
        tokens
            .iter()
            .any(|l| l.starts_with("refresh_token=") && l.contains("Path=/logout;")),
        "{lines:?}"
    );
}

/// With COOKIE_SECURE the browser keeps `__Host-access_token` only as
/// `Secure; Path=/` without `Domain`, so no sibling subdomain can plant one;
/// a plain `access_token` planted anyway is not read.
#[tokio::test]
async fn secure_cookies_are_prefixed_and_unprefixed_ones_not_read() {
    let app = spawn_app(&[&COOKIE[..], &["--cookie-secure"]].concat()).await;
    let email = registered(&app, "secure").await;
    let res = login(&app, &email).await;
    let lines = set_cookies(&res);
    assert_eq!(res.status(), StatusCode::OK);
    let (line, attrs) = cookie_line(&lines, "__Host-access_token");
    for want in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(has(&attrs, want), "{want} in {line}");
    }
    assert!(!attrs.iter().any(|a| a.starts_with("Domain")), "{line}");
    let (line, attrs) = cookie_line(&lines, "__Secure-refresh_token");
    for want in ["Secure", "HttpOnly", "Path=/refresh"] {
        assert!(has(&attrs, want), "{want} in {line}");
    }

    let cred = login_credential(&app.server, &email, PASSWORD).await;
    assert_eq!(
        get_with(&app.server, &cred, "/protected").await.status(),
        StatusCode::OK
    );
    let planted = Credential::Cookie(format!("access_token={}", cred.value()));
    assert_eq!(
        get_with(&app.server, &planted, "/protected").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Served over HTTPS, its own origin is https://, and http:// a foreign one.
    let plain = post(
        &app,
        "/logout",
        &cred,
        Some(&format!("http://{}", app.server.addr)),
    )
    .await;
    expect_error(plain, StatusCode::FORBIDDEN, "csrf").await;
    let own = post(
        &app,
        "/logout",
        &cred,
        Some(&format!("https://{}", app.server.addr)),
    )
    .await;
    assert_eq!(own.status(), StatusCode::NO_CONTENT);
    let (_, attrs) = cookie_line(&set_cookies(&own), "__Host-access_token");
    assert!(
        has(&attrs, "Max-Age=0") && has(&attrs, "Secure"),
        "{attrs:?}"
    );
}

/// Only the cookie is read: the same token as a bearer header is no
/// credential here, and no refusal carries a Bearer challenge (a cookie is no
/// HTTP authentication scheme).
#[tokio::test]
async fn only_the_cookie_is_read_and_nothing_asks_for_a_bearer_header() {
    let app = spawn_app(&COOKIE).await;
    let email = registered(&app, "only").await;
    let cred = login_credential(&app.server, &email, PASSWORD).await;
    assert!(matches!(cred, Credential::JwtCookie { .. }), "{cred:?}");
    assert_eq!(
        get_with(&app.server, &cred, "/protected").await.status(),
        StatusCode::OK
    );

    let as_header = app.get("/protected", cred.jwt()).await;
    assert_eq!(challenge(&as_header), "");
    expect_error(as_header, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let forged = get_with(&app.server, &cred.forged(), "/protected").await;
    assert_eq!(challenge(&forged), "");
    expect_error(forged, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let over = cred.with_value("a".repeat(8 * 1024 + 1));
    let res = get_with(&app.server, &over, "/protected").await;
    let body = expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("8 KiB"),
        "refused on its length: {body}"
    );

    // Another cookie of the site beside ours changes nothing.
    let (_, pair) = cred.header();
    let res = app
        .client
        .get(app.url("/protected"))
        .header(header::COOKIE, format!("theme=dark; {pair}; lang=fr"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_by_cookie_rotates_and_a_replayed_cookie_revokes_the_family() {
    let app = spawn_app(&COOKIE).await;
    let email = registered(&app, "rotate").await;
    let first = login_credential(&app.server, &email, PASSWORD).await;

    // A refresh token in the body was held by page code: refused, and
    // nothing spent.
    let res = app
        .client
        .post(app.url("/refresh"))
        .json(&json!({"refresh_token": first.refresh_token()}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
    let res = app.client.post(app.url("/refresh")).send().await.unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "invalid_grant").await;

    let res = refresh_request(&app, &first).send().await.unwrap();
    let headers = res.headers().clone();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let second = Credential::from_response(&headers, &body).expect("new cookies");
    assert_ne!(second.refresh_token(), first.refresh_token(), "rotated");
    assert_eq!(
        get_with(&app.server, &second, "/protected").await.status(),
        StatusCode::OK
    );

    let replay = refresh_request(&app, &first).send().await.unwrap();
    expect_error(replay, StatusCode::UNAUTHORIZED, "invalid_grant").await;
    let newest = refresh_request(&app, &second).send().await.unwrap();
    expect_error(newest, StatusCode::UNAUTHORIZED, "invalid_grant").await;

    let over = app
        .client
        .post(app.url("/refresh"))
        .header(
            header::COOKIE,
            format!("refresh_token={}", "a".repeat(8 * 1024 + 1)),
        )
        .send()
        .await
        .unwrap();
    expect_error(over, StatusCode::UNAUTHORIZED, "invalid_grant").await;
}

fn refresh_request(app: &TestApp, cred: &Credential) -> reqwest::RequestBuilder {
    test_support::contract::refresh_request(&app.server, cred)
}

#[tokio::test]
async fn logout_clears_both_cookies_and_revokes_the_family() {
    let app = spawn_app(&COOKIE).await;
    let email = registered(&app, "clear").await;
    let cred = login_credential(&app.server, &email, PASSWORD).await;
    let res = post(&app, "/logout", &cred, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let lines = set_cookies(&res);
    let (line, attrs) = cookie_line(&lines, "access_token");
    assert!(line.starts_with("access_token=;"), "{line}");
    for want in ["Max-Age=0", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(has(&attrs, want), "{want} in {line}");
    }
    for path in ["/refresh", "/logout"] {
        let line = lines
            .iter()
            .find(|l| l.starts_with("refresh_token=;") && l.contains(&format!("Path={path};")))
            .unwrap_or_else(|| panic!("no refresh_token removal for {path} in {lines:?}"));
        for want in ["Max-Age=0", "HttpOnly"] {
            assert!(line.contains(want), "{want} in {line}");
        }
    }
    let refreshed = refresh_request(&app, &cred).send().await.unwrap();
    expect_error(refreshed, StatusCode::UNAUTHORIZED, "invalid_grant").await;
}

/// In the cookie transport the browser keeps the refresh token in a cookie
/// the page cannot read; login sets it for `/refresh` and for `/logout`, so
/// that a logout after the access token expired still reaches it and ends
/// the login. A browser-like client (a cookie jar that keeps paths) shows it.
#[tokio::test]
async fn an_expired_access_cookie_still_logs_out_through_the_refresh_cookie() {
    let app =
        spawn_app(&[&COOKIE[..], &["--access-ttl", "1s", "--jwt-leeway", "0s"]].concat()).await;
    let email = registered(&app, "expired-cookie").await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = test_support::login(&browser, &app.server, &email, PASSWORD).await;
    let lines = set_cookies(&res);
    assert_eq!(res.status(), StatusCode::OK);
    let refresh_paths: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("refresh_token="))
        .collect();
    assert!(
        refresh_paths.iter().any(|l| l.contains("Path=/refresh;"))
            && refresh_paths.iter().any(|l| l.contains("Path=/logout;")),
        "{lines:?}"
    );
    let (line, _) = cookie_line(&lines, "refresh_token");
    let stolen = line
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("a value");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let expired = browser.get(app.url("/protected")).send().await.unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);

    let out = browser.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookies(&out);
    assert_eq!(
        cleared.iter().filter(|l| l.contains("Max-Age=0")).count(),
        3,
        "the access cookie and both refresh cookies removed: {cleared:?}"
    );
    // The login is over on the server, not only in this browser: the
    // refresh token replayed by anyone who copied it is refused.
    let replayed = app
        .client
        .post(app.url("/refresh"))
        .header(header::COOKIE, format!("refresh_token={stolen}"))
        .send()
        .await
        .unwrap();
    expect_error(replayed, StatusCode::UNAUTHORIZED, "invalid_grant").await;
    // And the browser holds nothing more to send.
    let after = browser.post(app.url("/refresh")).send().await.unwrap();
    expect_error(after, StatusCode::UNAUTHORIZED, "invalid_grant").await;
}

/// No credential at all: 401, and the cookies are cleared all the same.
#[tokio::test]
async fn a_logout_without_credential_clears_the_cookies_all_the_same() {
    let app = spawn_app(&COOKIE).await;
    let res = app.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(
        set_cookies(&res)
            .iter()
            .filter(|l| l.contains("Max-Age=0"))
            .count(),
        3
    );
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// The browser attaches the cookies to requests other sites' pages make:
/// every state-changing one from another origin is refused, login and
/// refresh included, and changes nothing.
#[tokio::test]
async fn cross_origin_requests_are_refused_and_same_origin_ones_pass() {
    let app = spawn_app(&COOKIE).await;
    let email = registered(&app, "csrf").await;
    let cred = login_credential(&app.server, &email, PASSWORD).await;

    expect_error(
        post(&app, "/logout", &cred, Some(EVIL)).await,
        StatusCode::FORBIDDEN,
        "csrf",
    )
    .await;
    let cross_site = cred
        .attach(app.client.post(app.url("/logout")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    expect_error(cross_site, StatusCode::FORBIDDEN, "csrf").await;
    let forged_refresh = refresh_request(&app, &cred)
        .header(header::ORIGIN, EVIL)
        .send()
        .await
        .unwrap();
    expect_error(forged_refresh, StatusCode::FORBIDDEN, "csrf").await;
    let forged_login = app
        .client
        .post(app.url("/login"))
        .header(header::ORIGIN, EVIL)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_error(forged_login, StatusCode::FORBIDDEN, "csrf").await;
    assert_eq!(
        get_with(&app.server, &cred, "/protected").await.status(),
        StatusCode::OK,
        "the refused logout changed nothing"
    );

    let own = format!("http://{}", app.server.addr);
    let refreshed = refresh_request(&app, &cred)
        .header(header::ORIGIN, &own)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refused refresh spent nothing"
    );
    let same = post(&app, "/logout", &cred, Some(&own)).await;
    assert_eq!(
        same.status(),
        StatusCode::NO_CONTENT,
        "same-origin requests pass"
    );
}

/// The header transport has no such check: the browser never attaches a
/// bearer header, so a forged request carries no token to refuse.
#[tokio::test]
async fn the_header_transport_needs_no_origin_check() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("header").await;
    let res = app
        .client
        .post(app.url("/logout"))
        .bearer_auth(&tokens.access)
        .header(header::ORIGIN, EVIL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(set_cookies(&res).is_empty());
}

/// Clearing the cookie is the browser's part of a logout; whoever copied the
/// token's value still holds a token that verifies until `exp` — unless a
/// denylist remembers the logout.
#[tokio::test]
async fn the_logout_loophole_survives_the_cookie_and_a_denylist_closes_it() {
    for (args, after) in [
        (&COOKIE[..], StatusCode::OK),
        (
            &["--token-transport", "cookie", "--denylist", "memory"][..],
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let app = spawn_app(args).await;
        let email = registered(&app, "loophole").await;
        let cred = login_credential(&app.server, &email, PASSWORD).await;
        assert_eq!(
            post(&app, "/logout", &cred, None).await.status(),
            StatusCode::NO_CONTENT
        );
        let replay = get_with(&app.server, &cred, "/protected").await;
        assert_eq!(replay.status(), after, "{args:?}");
        let _: Value = replay.json().await.unwrap();
    }
}

/// The page of the header transport would keep tokens this server never
/// puts in a body: each transport gets its own page, also where no browser
/// runs the browser tests.
#[tokio::test]
async fn the_page_matches_the_transport() {
    for (args, transport) in [(&COOKIE[..], "cookie"), (&[][..], "header")] {
        let app = spawn_app(args).await;
        let page = test_support::client()
            .get(app.server.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(r#"data-transport="{transport}""#)),
            "{transport}: {page:.300}"
        );
    }
}
