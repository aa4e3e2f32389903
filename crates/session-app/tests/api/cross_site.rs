//! A page on another site (issue 22): `ALLOWED_ORIGINS` and
//! `COOKIE_SAMESITE`. The CORS answers are contract rules (`cors_rules`);
//! here, what only session-app does: its `sid` cookie's attributes, and the
//! settings it refuses to start with.

use reqwest::{StatusCode, header};
use test_support::{
    PASSWORD, client, contract::ALLOWED_ORIGIN, contract::sid_cookie, login, register, unique_email,
};

use crate::helpers::{spawn_app, try_start_in};

/// Each line of a start-up refusal, for entries that are not origins and
/// for `none` without a list: one line, naming what is wrong.
#[tokio::test]
async fn malformed_origins_and_a_lone_samesite_none_refuse_to_start() {
    let dir = test_support::data_dir();
    for (args, named) in [
        (
            &["--allowed-origins", "http://localhost:5173/app"][..],
            "http://localhost:5173/app",
        ),
        (
            &["--allowed-origins", "http://localhost:5173,*"][..],
            "\"*\"",
        ),
        (
            &["--allowed-origins", "https://*.example.com"][..],
            "https://*.example.com",
        ),
        (
            &["--allowed-origins", "localhost:5173"][..],
            "localhost:5173",
        ),
        (&["--allowed-origins", "null"][..], "null"),
        (&["--cookie-samesite", "none"][..], "ALLOWED_ORIGINS"),
    ] {
        let Err(e) = try_start_in(dir.path(), args).await else {
            panic!("session-app started with {args:?}");
        };
        let message = format!("{e:#}");
        assert!(
            message.contains(named) && message.lines().count() == 1,
            "one line that names {named}: {message}"
        );
    }
    assert!(
        try_start_in(dir.path(), &["--cookie-samesite", "maybe"])
            .await
            .is_err(),
        "an unknown value is a usage error"
    );
}

/// The `Set-Cookie` of a login and of the logout, with `extra`.
async fn sid_lines(extra: &[&str]) -> (String, String) {
    let app = spawn_app(extra).await;
    let c = client();
    let email = unique_email("samesite");
    register(&c, &app.server, &email, PASSWORD).await;
    let res = login(&c, &app.server, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let set = sid_line(&res).expect("a session cookie");
    let sid = sid_cookie(&res).expect("sid");
    let res = c
        .post(app.server.url("/logout"))
        .header(header::COOKIE, sid)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let removal = sid_line(&res).expect("a removal cookie");
    (set, removal)
}

/// The `Set-Cookie` line of the `sid` cookie (a login also sets the device cookie).
fn sid_line(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with("sid="))
        .map(str::to_owned)
}

fn attributes(line: &str) -> Vec<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn cookie_samesite_sets_the_sid_cookie_and_none_adds_secure() {
    let (set, _) = sid_lines(&[]).await;
    let attrs = attributes(&set);
    assert!(attrs.contains(&"samesite=lax".into()), "{set}");
    assert!(!attrs.contains(&"secure".into()), "{set}");

    let (set, _) = sid_lines(&["--cookie-samesite", "strict"]).await;
    assert!(
        attributes(&set).contains(&"samesite=strict".into()),
        "{set}"
    );

    let (set, removal) = sid_lines(&[
        "--cookie-samesite",
        "none",
        "--allowed-origins",
        ALLOWED_ORIGIN,
    ])
    .await;
    assert!(
        set.starts_with("sid="),
        "the plain name without COOKIE_SECURE: {set}"
    );
    for line in [&set, &removal] {
        let attrs = attributes(line);
        assert!(
            attrs.contains(&"samesite=none".into()) && attrs.contains(&"secure".into()),
            "a cross-site answer may only set, and so remove, a None; Secure cookie: {line}"
        );
    }
    assert!(
        attributes(&removal).contains(&"max-age=0".into()),
        "{removal}"
    );
}
