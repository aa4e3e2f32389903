//! What the workshop shows of the resource server (issue 19): its own page
//! at `GET /`, and the request inspector (`--inspect`), read directly and
//! through `auth_core::inspect::relay` as the workshop servers read it.

use auth_core::ApiError;
use reqwest::{StatusCode, header};
use test_support::json;

use crate::helpers::{jwt_app, jwt_resource};

#[tokio::test]
async fn the_page_is_served_under_its_policy() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let res = rs.get("/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let policy = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("/debug/upstream") && html.contains("id=\"upstream_calls\""));
}

#[tokio::test]
async fn the_inspector_sees_the_bearer_token_by_scheme_and_length_and_relays() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &["--inspect"]).await;
    let (_, cred) = jwt.user("inspected").await;
    let (status, body) = json(rs.get("/notes", Some(&cred)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let origin = rs.url("");
    let seen = auth_core::inspect::relay(&origin, 0)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = seen.to_string();
    let requests = seen["requests"].as_array().cloned().unwrap_or_default();
    let notes = requests
        .iter()
        .find(|r| r["path"] == "/notes")
        .unwrap_or_else(|| panic!("GET /notes not recorded: {text}"));
    assert_eq!(notes["status"], 200);
    assert_eq!(notes["authorization"]["scheme"], "Bearer");
    let token_length = notes["authorization"]["length"].as_u64().unwrap();
    assert!(token_length > 20, "{notes}");
    for part in text.split('"') {
        assert!(!part.starts_with("eyJ"), "a token's text in {text}");
    }

    // jwt-app runs without --inspect: the relay says so, as it says when
    // nothing runs at all.
    match auth_core::inspect::relay(&jwt.url(), 0).await {
        Err(ApiError::Unavailable(m)) => assert!(m.contains("--inspect"), "{m}"),
        other => panic!("{other:?}"),
    }
    let addr = rs.server.addr;
    rs.server.stop().await;
    match auth_core::inspect::relay(&format!("http://{addr}"), 0).await {
        Err(ApiError::Unavailable(m)) => assert!(m.contains("is the server running"), "{m}"),
        other => panic!("{other:?}"),
    }
    match auth_core::inspect::relay("http://example.com:80", 0).await {
        Err(ApiError::InvalidInput(_)) => {}
        other => panic!("{other:?}"),
    }
}
