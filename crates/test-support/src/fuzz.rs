//! Arbitrary requests against every route (proptest): methods, paths,
//! headers, cookies, bearer tokens and bodies, well-formed or not. Whatever
//! arrives, the server never answers 5xx and never panics, every error is the
//! JSON shape, and a request answered 4xx changes nothing it keeps.
//!
//! The credential parsers get most of the cases: bearer values shaped like
//! JWTs (random headers with any `alg`/`typ`, random claims and signatures),
//! `sid` cookies, refresh tokens. Each app's tests run it through
//! [`crate::fuzz_suite!`]; `PROPTEST_CASES=100000 cargo test -p session-app
//! fuzz` (or `-p jwt-app`) runs it longer than CI does.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use reqwest::{Method, header};
use serde_json::{Value, json};
use sqlx::{Connection, SqliteConnection};

use crate::{PASSWORD, client, register, suite::Served};

/// The settings the fuzz run needs: `/debug/store`, to see the stores' state.
pub const WITH_STATS: &[&str] = &["--store-stats"];

/// One request as the strategy makes it.
#[derive(Debug, Clone)]
pub struct Arbitrary {
    method: Method,
    path: String,
    content_type: Option<String>,
    authorization: Option<String>,
    cookie: Option<String>,
    origin: Option<String>,
    body: Vec<u8>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9@._+-]{0,40}",
        any::<String>(),
        Just("x".repeat(20_000)),
    ]
}

fn b64(json: impl Strategy<Value = Value>) -> impl Strategy<Value = String> {
    json.prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string()))
}

/// Bearer values shaped like JWTs: some headers a verifier must refuse
/// (`none`, other algorithms, no `typ`), claims of any shape, any signature.
fn jwt_like() -> impl Strategy<Value = String> {
    let alg = prop_oneof![
        Just(json!("HS256")),
        Just(json!("none")),
        Just(json!("EdDSA")),
        Just(json!("RS256")),
        Just(json!(null)),
        text().prop_map(Value::from),
    ];
    let typ = prop_oneof![Just(json!("at+jwt")), Just(json!("JWT")), Just(json!(null))];
    let header = (alg, typ).prop_map(|(alg, typ)| json!({"alg": alg, "typ": typ}));
    let claims = (text(), any::<i64>(), text()).prop_map(|(sub, exp, sid)| {
        json!({"sub": sub, "exp": exp, "iss": "auth-compare", "aud": "auth-compare-api", "sid": sid, "role": "admin"})
    });
    let signature = prop_oneof![Just(String::new()), "[A-Za-z0-9_-]{0,90}"];
    (b64(header), b64(claims), signature).prop_map(|(h, c, s)| format!("{h}.{c}.{s}"))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        text().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!([1, 2])),
        Just(json!({"nested": true})),
    ];
    let object = (field.clone(), field.clone(), field.clone(), field).prop_map(
        |(email, password, role, refresh_token)| {
            json!({"email": email, "password": password, "role": role, "refresh_token": refresh_token})
                .to_string()
                .into_bytes()
        },
    );
    prop_oneof![
        Just(Vec::new()),
        object,
        proptest::collection::vec(any::<u8>(), 0..300),
        text().prop_map(String::into_bytes),
    ]
}

fn request() -> impl Strategy<Value = Arbitrary> {
    let method = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::PATCH),
        Just(Method::HEAD),
    ];
    let path = prop_oneof![
        Just("/register".to_owned()),
        Just("/login".to_owned()),
        Just("/logout".to_owned()),
        Just("/refresh".to_owned()),
        Just("/protected".to_owned()),
        Just("/profile".to_owned()),
        Just("/admin".to_owned()),
        "[a-zA-Z0-9%@.]{0,30}".prop_map(|e| format!("/admin/users/{e}/role")),
        Just("/health".to_owned()),
        Just("/debug/store".to_owned()),
        // Each app's own additions (the other app answers 404).
        Just("/session".to_owned()),
        Just("/.well-known/jwks.json".to_owned()),
        "/[a-zA-Z0-9%./_-]{0,30}",
    ];
    let content_type = proptest::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("text/plain".to_owned()),
        text(),
    ]);
    let authorization = proptest::option::of(prop_oneof![
        jwt_like().prop_map(|t| format!("Bearer {t}")),
        text().prop_map(|t| format!("Bearer {t}")),
        text(),
    ]);
    let cookie = proptest::option::of(prop_oneof![
        "[A-Za-z0-9_-]{0,30}".prop_map(|v| format!("sid={v}")),
        text().prop_map(|v| format!("sid={v}")),
        text(),
    ]);
    let origin = proptest::option::of(text());
    (
        method,
        path,
        content_type,
        authorization,
        cookie,
        origin,
        body(),
    )
        .prop_map(
            |(method, path, content_type, authorization, cookie, origin, body)| Arbitrary {
                method,
                path,
                content_type,
                authorization,
                cookie,
                origin,
                body,
            },
        )
}

/// What the server keeps: users (and refresh tokens, where the table is
/// used) in the SQLite file, and what `/debug/store` counts.
async fn state(app: &impl Served) -> (i64, i64, Value) {
    let url = format!(
        "sqlite://{}?mode=ro",
        app.data_dir().join("auth.db").display()
    );
    let mut db = SqliteConnection::connect(&url)
        .await
        .expect("open the SQLite file");
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let users = count("SELECT COUNT(*) FROM users")
        .fetch_one(&mut db)
        .await
        .expect("users");
    let refresh = count("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(&mut db)
        .await
        .expect("refresh tokens");
    let res = client()
        .get(app.server().url("/debug/store"))
        .send()
        .await
        .expect("GET /debug/store");
    let stores: Value = res.json().await.expect("/debug/store answers JSON");
    (users, refresh, json!([stores["entries"], stores["bytes"]]))
}

async fn check(app: &impl Served, req: &Arbitrary) -> Result<(), TestCaseError> {
    let before = state(app).await;
    let mut builder = client().request(req.method.clone(), app.server().url(&req.path));
    for (name, value) in [
        (header::CONTENT_TYPE, &req.content_type),
        (header::AUTHORIZATION, &req.authorization),
        (header::COOKIE, &req.cookie),
        (header::ORIGIN, &req.origin),
    ] {
        if let Some(value) = value {
            // A value reqwest cannot send (a newline) is not a request at all.
            if header::HeaderValue::from_str(value).is_err() {
                return Ok(());
            }
            builder = builder.header(name, value);
        }
    }
    let res = match builder.body(req.body.clone()).send().await {
        Ok(res) => res,
        // A path reqwest cannot form is not a request either.
        Err(e) if e.is_builder() => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("no answer: {e}"))),
    };
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let text = res.text().await.unwrap_or_default();
    prop_assert!(!status.is_server_error(), "{status} {text}");
    if status.is_client_error() {
        if req.method != Method::HEAD {
            prop_assert!(is_json, "{status} without JSON: {text:?}");
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{status}: {e}: {text:?}")))?;
            prop_assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{body}"
            );
        }
        prop_assert_eq!(state(app).await, before, "a {} changed the state", status);
    }
    Ok(())
}

/// Arbitrary requests, `PROPTEST_CASES` of them (256 unless set), each
/// checked as the module says; a failure is shrunk to a small request.
pub async fn arbitrary_requests_break_nothing(app: &impl Served) {
    // An account, so that some bodies name a user who exists.
    let res = register(&client(), app.server(), "fuzz@example.com", PASSWORD).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let handle = tokio::runtime::Handle::current();
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    tokio::task::block_in_place(|| {
        let mut runner = TestRunner::new(config);
        let outcome = runner.run(&request(), |req| handle.block_on(check(app, &req)));
        if let Err(e) = outcome {
            panic!("{e}");
        }
    });
}
