//! What a security review tried against both servers, one function per
//! attack, named after it. Each app's tests run them through
//! [`crate::contract_suite!`], on every store; each starts its server with the
//! settings the attack needs (the `args` its caller passes to `start`).

use futures::future::join_all;
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::{
    PASSWORD, client, contract::new_user, expect_error, json, login, register, suite::Served,
    unique_email,
};

/// The settings [`strangers_cannot_lock_the_owner_out`] needs: the test
/// client plays several addresses through a proxy the server trusts.
pub const BEHIND_PROXY: &[&str] = &["--trust-proxy", "127.0.0.1"];

/// 40 wrong passwords for one email at once: the throttle counts each before
/// bcrypt runs, so no more than LOGIN_MAX_FAILURES (5) reach the password check.
pub async fn parallel_guesses_cannot_pass_the_throttle(app: &impl Served) {
    let server = app.server();
    let c = client();
    let email = unique_email("parallel");
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let guesses = (0..40).map(|n| {
        let c = c.clone();
        let email = email.clone();
        async move {
            login(&c, server, &email, &format!("wrong guess {n}"))
                .await
                .status()
        }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (checked, refused),
        (5, 35),
        "five guesses checked, the rest refused: {statuses:?}"
    );
}

/// A guesser's failures lock its own (email, address) pair, not the owner:
/// the owner logs in from another address with the right password.
pub async fn strangers_cannot_lock_the_owner_out(app: &impl Served) {
    let server = app.server();
    let c = client();
    let email = unique_email("lockout");
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let from = |addr: &'static str, password: &str| {
        c.post(server.url("/login"))
            .header("x-forwarded-for", addr)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for _ in 0..5 {
        let res = from("192.0.2.66", "wrong password").await.expect("send");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    expect_error(
        from("192.0.2.66", PASSWORD).await.expect("send"),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    let owner = from("198.51.100.7", PASSWORD).await.expect("send");
    assert_eq!(
        owner.status(),
        StatusCode::OK,
        "the owner's address has its own count"
    );
    // A client that is not the trusted proxy cannot pick its address: its
    // X-Forwarded-For is ignored. (Here every request comes from 127.0.0.1,
    // the trusted proxy, so the header decides; `forwarded_for_is_not_believed`
    // covers the other case.)
}

/// Without TRUST_PROXY, `X-Forwarded-For` is the client's own claim and
/// changes nothing: a guesser cannot escape its lockout by writing it.
pub async fn forwarded_for_is_not_believed(app: &impl Served) {
    let server = app.server();
    let c = client();
    let email = unique_email("spoof");
    for n in 0..5 {
        let res = c
            .post(server.url("/login"))
            .header("x-forwarded-for", format!("192.0.2.{n}"))
            .json(&json!({"email": email, "password": "wrong password"}))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = c
        .post(server.url("/login"))
        .header("x-forwarded-for", "192.0.2.200")
        .json(&json!({"email": email, "password": "wrong password"}))
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
}

/// `é` typed composed or decomposed, in any case, is one account: the second
/// registration is taken, and either spelling logs in.
pub async fn one_address_is_one_account(app: &impl Served) {
    let server = app.server();
    let c = client();
    let tag = unique_email("x");
    let composed = format!("ren\u{e9}-{tag}");
    let decomposed = format!("RENE\u{301}-{}", tag.to_uppercase());
    assert_eq!(
        register(&c, server, &composed, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    expect_error(
        register(&c, server, &decomposed, PASSWORD).await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;
    let (status, body) = json(login(&c, server, &decomposed, PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // An accent is not a spelling of the same address (MariaDB's default
    // collation would say it is).
    let plain = format!("rene-{tag}");
    expect_error(
        login(&c, server, &plain, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

/// The settings of [`registration_is_limited_per_address`].
pub const FEW_REGISTRATIONS: &[&str] = &["--register-max-per-address", "3"];

/// Each registration costs a hash: one address gets a few, then 429.
pub async fn registration_is_limited_per_address(app: &impl Served) {
    let server = app.server();
    let c = client();
    for _ in 0..3 {
        let res = register(&c, server, &unique_email("flood"), PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = register(&c, server, &unique_email("flood"), PASSWORD).await;
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
}

/// The settings of [`a_login_flood_is_answered_busy`]: one bcrypt at a time,
/// at a cost that takes a while, and a short queue.
pub const ONE_SLOW_HASH: &[&str] = &[
    "--bcrypt-cost",
    "10",
    "--hash-concurrency",
    "1",
    "--hash-queue-timeout",
    "1s",
];

/// Logins arriving faster than bcrypt can serve them: the ones that would
/// wait past the queue timeout get 503 `busy` with `Retry-After` instead of
/// queuing without bound, and a signed-in user is still served.
pub async fn a_login_flood_is_answered_busy(app: &impl Served) {
    let server = app.server();
    let (_, cred) = new_user(server, "flood-victim").await;
    let c = client();
    let flood = (0..12).map(|_| {
        let c = c.clone();
        async move {
            let res = login(&c, server, &unique_email("flood"), "wrong password").await;
            let retry = res.headers().get(header::RETRY_AFTER).is_some();
            let (status, body) = json(res).await;
            (
                status,
                body["error"].as_str().unwrap_or_default().to_owned(),
                retry,
            )
        }
    });
    let during = async {
        let res = cred
            .attach(c.get(server.url("/protected")))
            .send()
            .await
            .expect("send");
        res.status()
    };
    let (answers, protected) = futures::join!(join_all(flood), during);
    assert_eq!(protected, StatusCode::OK, "signed-in traffic is served");
    let busy = answers
        .iter()
        .filter(|(s, code, retry)| {
            *s == StatusCode::SERVICE_UNAVAILABLE && code == "busy" && *retry
        })
        .count();
    let checked = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(busy > 0, "some logins are turned away: {answers:?}");
    assert!(checked > 0, "some logins are served: {answers:?}");
    assert_eq!(busy + checked, answers.len(), "{answers:?}");
}

/// Every response says `nosniff` and `no-referrer`; every response that
/// sets or answers a credential says `no-store`.
pub async fn security_headers_on_every_response(app: &impl Served) {
    let server = app.server();
    let c = client();
    let anonymous = c.get(server.url("/nope")).send().await.expect("send");
    let email = unique_email("headers");
    let registered = register(&c, server, &email, PASSWORD).await;
    let logged_in = login(&c, server, &email, PASSWORD).await;
    for res in [&anonymous, &registered, &logged_in] {
        let h = res.headers();
        assert_eq!(
            h.get("x-content-type-options").map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{h:?}"
        );
        assert_eq!(
            h.get("referrer-policy").map(|v| v.as_bytes()),
            Some(&b"no-referrer"[..]),
            "{h:?}"
        );
    }
    assert_eq!(
        logged_in
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "the login answer hands out a credential"
    );
    let (_, cred) = new_user(server, "headers-profile").await;
    let profile = cred
        .attach(c.get(server.url("/profile")))
        .send()
        .await
        .expect("send");
    assert_eq!(profile.status(), StatusCode::OK);
    assert_eq!(
        profile
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "an answer to a credential is not cached"
    );
}

/// Admin A demotes B. B's credential may still claim `admin` (a JWT until its
/// refresh: the lesson, for reads), but a privileged write reads the role
/// from the database: B can neither restore itself nor demote A.
pub async fn demoted_admin_cannot_restore_itself(app: &impl Served) {
    let server = app.server();
    let c = client();
    let mut creds = Vec::new();
    for email in ["first-admin@example.com", "second-admin@example.com"] {
        assert_eq!(
            register(&c, server, email, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        crate::operator::set_role(app, email, "admin").await;
        creds.push(crate::contract::login_credential(server, email, PASSWORD).await);
    }
    let set_role = |cred: &crate::contract::Credential, email: &str, role: &str| {
        cred.attach(c.put(server.url(&format!("/admin/users/{email}/role"))))
            .json(&json!({"role": role}))
            .send()
    };
    let res = set_role(&creds[0], "second-admin@example.com", "user")
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK, "A demotes B");
    // jwt-app with a denylist ends a demoted user's logins: B's credential
    // is then refused outright (401); else it is known but not admin (403).
    let b_status = creds[1]
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .expect("send")
        .status();
    let (status, code) = match b_status {
        StatusCode::UNAUTHORIZED => (StatusCode::UNAUTHORIZED, "unauthorized"),
        _ => (StatusCode::FORBIDDEN, "forbidden"),
    };
    let res = set_role(&creds[1], "second-admin@example.com", "admin")
        .await
        .expect("send");
    expect_error(res, status, code).await;
    let res = set_role(&creds[1], "first-admin@example.com", "user")
        .await
        .expect("send");
    expect_error(res, status, code).await;
    // A is still admin, and the last one: it cannot demote itself either.
    let res = set_role(&creds[0], "first-admin@example.com", "user")
        .await
        .expect("send");
    expect_error(res, StatusCode::CONFLICT, "last_admin").await;
    let res = creds[0]
        .attach(c.get(server.url("/admin")))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK, "A is untouched");
}

/// The settings [`a_known_device_passes_the_per_email_cap`] needs: addresses
/// played through a trusted proxy, and a per-email cap strangers can spend
/// quickly (two addresses, five failures each).
pub const DEVICE_COOKIE_CAP: &[&str] = &[
    "--trust-proxy",
    "127.0.0.1",
    "--login-max-failures-per-email",
    "10",
];

/// Strangers spend the per-email cap from several addresses (the lockout
/// the per-email cap becomes). The owner's browser, which logged in before
/// and holds the device cookie that login set, still logs in, from a new
/// address; a fresh client with the right password, and one with a forged
/// device cookie, get 429.
pub async fn a_known_device_passes_the_per_email_cap(app: &impl Served) {
    let server = app.server();
    let c = client();
    let email = unique_email("device");
    assert_eq!(
        register(&c, server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let login_from = |addr: &'static str, password: &'static str, cookie: Option<String>| {
        let mut req = c
            .post(server.url("/login"))
            .header("x-forwarded-for", addr)
            .json(&json!({"email": email, "password": password}));
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        req.send()
    };
    let first = login_from("198.51.100.1", PASSWORD, None)
        .await
        .expect("send");
    assert_eq!(first.status(), StatusCode::OK);
    let set_cookie = first
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("device="))
        .unwrap_or_else(|| panic!("a login sets a device cookie: {:?}", first.headers()))
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/login", "Max-Age="] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }
    let device = set_cookie.split(';').next().unwrap_or_default().to_owned();

    for stranger in ["192.0.2.1", "192.0.2.2"] {
        for _ in 0..5 {
            let res = login_from(stranger, "wrong password", None)
                .await
                .expect("send");
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
    }
    expect_error(
        login_from("203.0.113.9", PASSWORD, None)
            .await
            .expect("send"),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    let forged = format!("device={}.{}", "00".repeat(16), "00".repeat(32));
    expect_error(
        login_from("203.0.113.9", PASSWORD, Some(forged))
            .await
            .expect("send"),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    let owner = login_from("203.0.113.10", PASSWORD, Some(device.clone()))
        .await
        .expect("send");
    assert_eq!(
        owner.status(),
        StatusCode::OK,
        "the browser that logged in before passes the per-email cap"
    );
    // The device cookie is for this account only.
    let other = unique_email("device-other");
    assert_eq!(
        register(&c, server, &other, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let res = c
        .post(server.url("/login"))
        .header("x-forwarded-for", "203.0.113.10")
        .header(header::COOKIE, device)
        .json(&json!({"email": other, "password": PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK, "another account is untouched");
}

/// Addresses a hand-rolled check let through (issue 21): markup and
/// wildcards in the domain, an underscore in a host name, an IP literal.
pub const LOOSE_EMAILS: &[&str] = &["a@b.co<script>", "a@b.co*", "a@b_c.com", "a@[127.0.0.1]"];

/// Registration refuses the loose addresses with 400 `invalid_input`, and
/// nothing is created: a login with them is the unknown email's 401.
pub async fn loose_emails_are_refused_at_registration(app: &impl Served) {
    let server = app.server();
    let c = client();
    for email in LOOSE_EMAILS {
        expect_error(
            register(&c, server, email, PASSWORD).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
        let login = login(&c, server, email, PASSWORD).await;
        assert_ne!(login.status(), StatusCode::OK, "{email} was not registered");
    }
}

/// An account stored before the stricter parser, under an address it now
/// refuses, still logs in: login normalizes the address the old way for the
/// lookup, so nothing stored is locked out. The address is written into the
/// SQLite file of the app's data folder as an older version stored it.
pub async fn an_address_stored_under_older_rules_still_logs_in(app: &impl Served) {
    use sqlx::{Connection, SqliteConnection};

    let server = app.server();
    let c = client();
    let placeholder = unique_email("legacy");
    assert_eq!(
        register(&c, server, &placeholder, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let stored = format!("{}@old_rules.example", placeholder.replace('@', "."));
    let url = format!("sqlite://{}", app.data_dir().join("auth.db").display());
    let mut db = SqliteConnection::connect(&url)
        .await
        .expect("open the SQLite file");
    sqlx::query("UPDATE users SET email = ? WHERE email = ?")
        .bind(&stored)
        .bind(&placeholder)
        .execute(&mut db)
        .await
        .expect("store the address as older rules let it in");
    db.close().await.ok();

    expect_error(
        register(&c, server, &stored, PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    let cred = crate::login_credential(server, &stored.to_uppercase(), PASSWORD).await;
    let (status, body) = json(crate::get_with(server, &cred, "/profile").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], stored.as_str());
}
