//! The contract rows both servers must answer alike, as one suite that each
//! app's tests run against its own server (the shape of tower-sessions'
//! `tests/common`). What differs between the apps is tested beside each app.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{PASSWORD, TestServer, client, expect_error, json, login, register, unique_email};

pub use contract_client::client::Credential;

pub use crate::login_credential;

/// The `sid=<value>` pair of a response's `Set-Cookie: sid=…`, if any.
pub fn sid_cookie(res: &reqwest::Response) -> Option<String> {
    contract_client::client::sid_pair(res.headers())
}

/// `POST /refresh` with the refresh token `cred` holds, where its transport
/// carries it (the JSON body, or the refresh cookie).
pub fn refresh_request(server: &TestServer, cred: &Credential) -> reqwest::RequestBuilder {
    contract_client::client::refresh(cred)
        .unwrap_or_else(|| panic!("no refresh token in {cred:?}"))
        .build(&client(), &server.url(""))
}

/// Registers a fresh user with [`PASSWORD`]: its email.
pub async fn registered(server: &TestServer, prefix: &str) -> String {
    let email = unique_email(prefix);
    let res = register(&client(), server, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    email
}

/// Registers a fresh user and logs in.
pub async fn new_user(server: &TestServer, prefix: &str) -> (String, Credential) {
    let email = registered(server, prefix).await;
    let cred = login_credential(server, &email, PASSWORD).await;
    (email, cred)
}

async fn post_raw(
    server: &TestServer,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = client().post(server.url(path)).body(body);
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    req.send().await.expect("send")
}

/// `POST /register`: 201, and every way the input can be wrong.
pub async fn register_rules(server: &TestServer) {
    let c = client();
    let email = unique_email("Reg");
    let (status, body) = json(
        register(
            &c,
            server,
            &format!("  {}  ", email.to_uppercase()),
            PASSWORD,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["email"],
        email.to_lowercase(),
        "emails are trimmed and lower-cased"
    );
    assert_eq!(body["role"], "user");
    assert!(body["id"].is_i64(), "{body}");
    assert!(body.get("password_hash").is_none() && body.get("password").is_none());

    expect_error(
        register(&c, server, &email, PASSWORD).await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;
    expect_error(
        register(&c, server, &email.to_uppercase(), PASSWORD).await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;

    let fresh = || unique_email("reg");
    for (email, password, why) in [
        ("not-an-email".to_owned(), PASSWORD.to_owned(), "bad email"),
        (fresh(), "short".to_owned(), "password under 8 bytes"),
        (fresh(), "x".repeat(73), "password over 72 bytes"),
        (fresh(), "é".repeat(37), "password over 72 bytes in UTF-8"),
    ] {
        let res = register(&c, server, &email, &password).await;
        let body = expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(
            !body["message"].as_str().unwrap_or_default().is_empty(),
            "{why}"
        );
        // Nothing was created: the same email with a good password still registers.
        if email.contains('@') {
            assert_eq!(
                register(&c, server, &email, PASSWORD).await.status(),
                StatusCode::CREATED,
                "{why}"
            );
        }
    }
    let long_ok = register(&c, server, &fresh(), &"x".repeat(72)).await;
    assert_eq!(
        long_ok.status(),
        StatusCode::CREATED,
        "72 bytes is the longest password bcrypt reads whole"
    );

    let json_ct = Some("application/json");
    for (body, why) in [
        (
            "{\"email\": \"a@example.com\", ".to_owned(),
            "malformed JSON",
        ),
        (json!({"email": fresh()}).to_string(), "missing field"),
        (
            json!({"email": fresh(), "password": 12345678}).to_string(),
            "wrong type",
        ),
        ("[]".to_owned(), "not an object"),
    ] {
        let res = post_raw(server, "/register", json_ct, body).await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"], "invalid_input", "{why}");
    }
    // The fields as an array, in order: serde alone would read it as the struct.
    let email = fresh();
    let as_array = post_raw(
        server,
        "/register",
        json_ct,
        json!([email, PASSWORD]).to_string(),
    )
    .await;
    expect_error(as_array, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED,
        "an array registered nothing"
    );
    let no_ct = post_raw(
        server,
        "/register",
        None,
        json!({"email": fresh(), "password": PASSWORD}).to_string(),
    )
    .await;
    expect_error(
        no_ct,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let huge =
        json!({"email": fresh(), "password": PASSWORD, "pad": "x".repeat(17 * 1024)}).to_string();
    let (status, body) = json(post_raw(server, "/register", json_ct, huge).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "payload_too_large");
}

/// `POST /login`: bad input is 400; unknown email and wrong password are the same 401.
pub async fn login_rules(server: &TestServer) {
    let c = client();
    let email = unique_email("login");
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    login_credential(server, &format!(" {} ", email.to_uppercase()), PASSWORD).await;

    let wrong = expect_error(
        login(&c, server, &email, "wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let unknown = expect_error(
        login(&c, server, &unique_email("nobody"), PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        wrong, unknown,
        "an unknown email must not be told from a wrong password"
    );

    expect_error(
        login(&c, server, "not-an-email", PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    expect_error(
        login(&c, server, &email, &"x".repeat(73)).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let res = post_raw(server, "/login", Some("application/json"), "{\"email\":").await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
}

/// `/protected` and `/profile`: 200 with the credential, 401 without or with a forged one.
pub async fn protected_rules(server: &TestServer) {
    let c = client();
    let (email, cred) = new_user(server, "prot").await;

    let (status, body) = json(
        cred.attach(c.get(server.url("/protected")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"email": email, "message": format!("Hello {email}")})
    );

    let (status, body) = json(
        cred.attach(c.get(server.url("/profile")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], email);
    assert_eq!(body["role"], "user");
    assert!(body["id"].is_i64());
    assert!(
        body["created_at"].as_str().is_some_and(|t| t.len() >= 20),
        "created_at in RFC 3339: {body}"
    );

    for path in ["/protected", "/profile", "/admin"] {
        expect_error(
            c.get(server.url(path)).send().await.expect("send"),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        let forged = cred
            .forged()
            .attach(c.get(server.url(path)))
            .send()
            .await
            .expect("send");
        assert_eq!(
            forged.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with a forged credential"
        );
        let (_, body) = json(forged).await;
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    expect_error(
        c.post(server.url("/logout")).send().await.expect("send"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

/// `/admin` and the role route: 403 for a user, 200 for an admin, 400 and 404.
/// A registered account is a `user`; an operator grants `admin` with `set-role`.
pub async fn admin_rules(app: &impl crate::suite::Served) {
    let server = app.server();
    let c = client();
    let admin_email = unique_email("contract-admin");
    let res = register(&c, server, &admin_email, PASSWORD).await;
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["role"], "user", "registration never grants admin");
    crate::operator::set_role(app, &admin_email, "admin").await;
    let admin = login_credential(server, &admin_email, PASSWORD).await;
    let (user_email, user) = new_user(server, "plain").await;

    let res = user
        .attach(c.get(server.url("/admin")))
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, body) = json(
        admin
            .attach(c.get(server.url("/admin")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["message"].is_string());

    let set_role = |cred: &Credential, email: &str, role: Value| {
        cred.attach(c.put(server.url(&format!("/admin/users/{email}/role"))))
            .json(&json!({"role": role}))
            .send()
    };
    expect_error(
        set_role(&user, &user_email, json!("admin"))
            .await
            .expect("send"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        set_role(&admin, &user_email, json!("root"))
            .await
            .expect("send"),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    expect_error(
        set_role(&admin, &user_email, json!(1)).await.expect("send"),
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    expect_error(
        set_role(&admin, &unique_email("ghost"), json!("admin"))
            .await
            .expect("send"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let (status, body) = json(
        set_role(&admin, &user_email, json!("admin"))
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"email": user_email, "role": "admin"}));
    let (_, profile) = json(
        user.attach(c.get(server.url("/profile")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(profile["role"], "admin", "/profile reads the database");
}

/// Unknown routes and wrong methods answer JSON; /health answers.
pub async fn routing_rules(server: &TestServer, app_name: &str) {
    let c = client();
    expect_error(
        c.get(server.url("/nope")).send().await.expect("send"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        c.delete(server.url("/register"))
            .send()
            .await
            .expect("send"),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    expect_error(
        c.get(server.url("/login")).send().await.expect("send"),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let res = c.get(server.url("/health")).send().await.expect("send");
    assert!(
        res.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["app"], app_name);
    assert!(body["store"].is_string());
}

/// Five failed logins for one email lock it for the window (defaults:
/// LOGIN_MAX_FAILURES=5, LOGIN_WINDOW=15m): 429 with `Retry-After`, even with
/// the right password; unknown emails are treated alike; others are untouched.
pub async fn throttle_rules(server: &TestServer) {
    let c = client();
    let email = unique_email("throttle");
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let ghost = unique_email("throttle-ghost");
    for who in [&email, &ghost] {
        for attempt in 1..=5 {
            let res = login(&c, server, who, "wrong password").await;
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt} for {who}"
            );
        }
        let res = login(&c, server, who, PASSWORD).await;
        let retry_after = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
        assert!(
            retry_after.is_some_and(|s| (1..=900).contains(&s)),
            "Retry-After in seconds: {retry_after:?}"
        );
    }
    let (_, cred) = new_user(server, "throttle-other").await;
    assert_eq!(
        crate::get_with(server, &cred, "/protected").await.status(),
        StatusCode::OK,
        "other accounts log in as usual"
    );
}

/// The page the CORS rules start the server for (`ALLOWED_ORIGINS`).
pub const ALLOWED_ORIGIN: &str = "http://localhost:5173";

/// The arguments that start a server for [`cors_rules`].
pub const WITH_ALLOWED_ORIGIN: &[&str] = &["--allowed-origins", ALLOWED_ORIGIN];

/// Another site's page, and what sandboxed or `file:` pages send.
const FOREIGN_ORIGINS: [&str; 3] = ["http://127.0.0.1:5173", "https://localhost:5173", "null"];

/// The `Access-Control-*` headers of an answer, by name.
pub fn cors_headers(res: &reqwest::Response) -> Vec<(String, String)> {
    res.headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("access-control-"))
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or("(not ASCII)").to_owned(),
            )
        })
        .collect()
}

fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header(header::ORIGIN, origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
}

/// A server started with [`WITH_ALLOWED_ORIGIN`]: that origin's preflights
/// and requests get CORS answers (credentials allowed where a cookie carries
/// the credential, never `*`) and pass the CSRF check; another origin's, or
/// `null`, get no CORS header, change nothing and, where a cookie is the
/// credential, meet the CSRF check.
pub async fn cors_rules(server: &TestServer) {
    let c = client();
    let (_, cred) = new_user(server, "cors").await;
    let cookie = cred.is_cookie();

    for (path, method) in [
        ("/login", "POST"),
        ("/protected", "GET"),
        ("/logout", "POST"),
    ] {
        let res = preflight(server, path, ALLOWED_ORIGIN, method)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::OK, "preflight of {method} {path}");
        let got = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        assert_eq!(got("access-control-allow-origin"), ALLOWED_ORIGIN);
        for m in ["get", "post", "put", "delete"] {
            assert!(got("access-control-allow-methods").contains(m), "{m}");
        }
        for h in ["content-type", "authorization"] {
            assert!(got("access-control-allow-headers").contains(h), "{h}");
        }
        let credentials = got("access-control-allow-credentials");
        assert_eq!(
            credentials == "true",
            cookie,
            "Allow-Credentials: true exactly where a cookie is the credential: {credentials:?}"
        );
        assert!(
            got("vary").contains("origin"),
            "the answer varies by Origin"
        );
    }

    // The page's own requests: the answers are readable by it.
    let res = cred
        .attach(c.get(server.url("/protected")))
        .header(header::ORIGIN, ALLOWED_ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ALLOWED_ORIGIN)
    );
    let res = c
        .get(server.url("/protected"))
        .header(header::ORIGIN, ALLOWED_ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ALLOWED_ORIGIN),
        "a refusal is readable too"
    );
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    for origin in FOREIGN_ORIGINS {
        for (path, method) in [
            ("/login", "POST"),
            ("/logout", "POST"),
            ("/protected", "GET"),
        ] {
            let res = preflight(server, path, origin, method)
                .send()
                .await
                .expect("send");
            assert_eq!(
                cors_headers(&res),
                Vec::<(String, String)>::new(),
                "{origin}'s preflight of {method} {path}"
            );
            assert!(!res.status().is_success(), "{origin}: {}", res.status());
            let (_, body) = json(res).await;
            assert!(body["error"].is_string(), "a JSON error: {body}");
        }
        let res = cred
            .attach(c.get(server.url("/protected")))
            .header(header::ORIGIN, origin)
            .send()
            .await
            .expect("send");
        assert_eq!(
            cors_headers(&res),
            Vec::<(String, String)>::new(),
            "{origin}"
        );
        if cookie {
            // The browser would attach the cookie to another site's POST.
            let res = cred
                .attach(c.post(server.url("/logout")))
                .header(header::ORIGIN, origin)
                .send()
                .await
                .expect("send");
            assert_eq!(
                cors_headers(&res),
                Vec::<(String, String)>::new(),
                "{origin}"
            );
            expect_error(res, StatusCode::FORBIDDEN, "csrf").await;
        }
    }
    let still = cred
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .expect("send");
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "foreign preflights and posts changed nothing"
    );

    // The allowed page passes the CSRF check: its logout ends the login.
    let res = cred
        .attach(c.post(server.url("/logout")))
        .header(header::ORIGIN, ALLOWED_ORIGIN)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("send");
    assert!(res.status().is_success(), "logout: {}", res.status());
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ALLOWED_ORIGIN)
    );
    let after = cred
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .expect("send");
    if cred.jwt().is_some() && after.status() == StatusCode::OK {
        // jwt-app without a denylist: the access token lives on (the logout
        // loophole); its refresh token is what ended.
        let refresh = refresh_request(server, &cred).send().await.expect("send");
        expect_error(refresh, StatusCode::UNAUTHORIZED, "invalid_grant").await;
    } else {
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "logged out");
    }
}

/// A server started without `ALLOWED_ORIGINS` answers no CORS header at
/// all, whatever the origin, and refuses every other origin's
/// state-changing request where a cookie is the credential.
pub async fn no_cors_without_allowed_origins(server: &TestServer) {
    let (_, cred) = new_user(server, "nocors").await;
    for origin in [ALLOWED_ORIGIN, "https://evil.example", "null"] {
        let res = preflight(server, "/login", origin, "POST")
            .send()
            .await
            .expect("send");
        assert_eq!(
            cors_headers(&res),
            Vec::<(String, String)>::new(),
            "{origin}"
        );
        let res = cred
            .attach(client().get(server.url("/protected")))
            .header(header::ORIGIN, origin)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            cors_headers(&res),
            Vec::<(String, String)>::new(),
            "{origin}"
        );
        if cred.is_cookie() {
            let res = cred
                .attach(client().post(server.url("/logout")))
                .header(header::ORIGIN, origin)
                .send()
                .await
                .expect("send");
            expect_error(res, StatusCode::FORBIDDEN, "csrf").await;
        }
    }
}
