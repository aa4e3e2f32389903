//! The workshop's request inspector (`--inspect`, issue 19) and the framing
//! the side-by-side page needs (`--workshop-origin`): what session-app
//! received, with its credentials by name and length, never their values.

use reqwest::{StatusCode, header};
use serde_json::Value;
use test_support::{TestServer, client, expect_error, json, login, register};

use crate::helpers::{spawn_app, try_start_in};

async fn seen(server: &TestServer, after: u64) -> Value {
    let res = client()
        .get(server.url(&format!("/debug/requests?after={after}")))
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn requests(body: &Value) -> Vec<Value> {
    body["requests"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_inspector_names_the_cookie_and_the_refusal_never_the_value() {
    let app = spawn_app(&["--inspect"]).await;
    let c = client();
    register(&c, &app.server, "ada@example.com", "correct horse").await;
    let res = login(&c, &app.server, "ada@example.com", "correct horse").await;
    let sid = res
        .cookies()
        .find(|k| k.name() == "sid")
        .map(|k| k.value().to_owned())
        .expect("a sid cookie");
    let before = seen(&app.server, 0).await["next"].as_u64().unwrap();
    assert_eq!(
        before, 2,
        "register and login, and not the inspector's own poll"
    );

    // A forged logout from the attacker's page: its cookie goes along, the
    // Origin check refuses it.
    let forged = c
        .post(app.server.url("/logout?from=attacker"))
        .header(header::COOKIE, format!("sid={sid}"))
        .header(header::ORIGIN, "http://localhost:4000")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    expect_error(forged, StatusCode::FORBIDDEN, "csrf").await;
    let res = c
        .get(app.server.url("/protected"))
        .header(header::AUTHORIZATION, "Bearer abc.def")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let body = seen(&app.server, before).await;
    let text = body.to_string();
    assert!(!text.contains(&sid), "a cookie's value in {text}");
    assert!(!text.contains("abc.def"), "a token in {text}");
    let got = requests(&body);
    assert_eq!(got.len(), 2, "{body}");
    let forged = &got[0];
    assert_eq!(forged["seq"], before + 1);
    assert_eq!(forged["method"], "POST");
    assert_eq!(forged["path"], "/logout", "no query string");
    assert_eq!(forged["status"], 403);
    assert_eq!(
        forged["cookies"],
        serde_json::json!([{"name": "sid", "length": sid.len()}])
    );
    assert_eq!(forged["origin"], "http://localhost:4000");
    assert_eq!(forged["sec_fetch_site"], "cross-site");
    assert_eq!(forged["authorization"], Value::Null);
    let bearer = &got[1];
    assert_eq!(bearer["status"], 401);
    assert_eq!(
        bearer["authorization"],
        serde_json::json!({"scheme": "Bearer", "length": 7})
    );
    assert_eq!(bearer["cookies"], serde_json::json!([]));

    // An unknown route is recorded with the fallback's 404.
    c.get(app.server.url("/nowhere")).send().await.unwrap();
    let last = requests(&seen(&app.server, before + 2).await);
    assert_eq!(last.len(), 1);
    assert_eq!(
        (last[0]["path"].as_str(), last[0]["status"].as_u64()),
        (Some("/nowhere"), Some(404))
    );
}

#[tokio::test]
async fn the_inspector_is_off_unless_asked_and_refuses_bad_input() {
    let off = spawn_app(&[]).await;
    let res = client()
        .get(off.server.url("/debug/requests"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;

    let app = spawn_app(&["--inspect"]).await;
    for query in ["after=-1", "after=soon", "since=3"] {
        let res = client()
            .get(app.server.url(&format!("/debug/requests?{query}")))
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
    let res = client()
        .get(app.server.url("/debug/requests"))
        .header(header::HOST, "app.example.com")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // Polls are not recorded, nor were the refused ones above (the route's own).
    assert_eq!(seen(&app.server, 0).await["next"], 0);

    let dir = test_support::data_dir();
    for proxy in [
        &["--trust-proxy", "127.0.0.1"][..],
        &["--cookie-secure"][..],
    ] {
        let args = [&["--inspect"][..], proxy].concat();
        let Err(e) = try_start_in(dir.path(), &args).await else {
            panic!("session-app started with {args:?}");
        };
        assert!(format!("{e:#}").contains("--inspect"), "{e:#}");
    }
}

#[tokio::test]
async fn the_page_is_framed_by_the_workshop_origin_only_when_named() {
    let csp = |server: TestServer| async move {
        let res = client().get(server.url("/")).send().await.unwrap();
        let policy = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        server.stop().await;
        policy
    };
    let alone = spawn_app(&[]).await;
    assert!(csp(alone.server).await.contains("frame-ancestors 'none'"));
    let framed = spawn_app(&["--workshop-origin", "http://127.0.0.1:4001"]).await;
    let policy = csp(framed.server).await;
    assert!(
        policy.contains("frame-ancestors http://127.0.0.1:4001;")
            && !policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );

    let dir = test_support::data_dir();
    for origin in [
        "https://evil.example",
        "http://example.com:4001",
        "127.0.0.1:4001",
        "http://127.0.0.1",
    ] {
        let Err(e) = try_start_in(dir.path(), &["--workshop-origin", origin]).await else {
            panic!("session-app started with --workshop-origin {origin}");
        };
        assert!(format!("{e:#}").contains("WORKSHOP_ORIGIN"), "{e:#}");
    }
}
