//! Jwt mode and logout: without a shared denylist a logout never reaches
//! the resource server (the loophole); with jwt-app's Redis denylist it does.

use reqwest::StatusCode;
use test_support::{
    expect_error,
    redis::{Prefix, shared_redis_url},
};

use crate::helpers::{challenge, jwt_app, jwt_resource, status_of};

#[tokio::test]
async fn without_a_shared_denylist_a_logged_out_token_still_works_here() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let (_, cred) = jwt.user("loophole").await;
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );

    jwt.logout(&cred).await;

    // The loophole, asserted: jwt-app itself (DENYLIST=off) and the
    // resource server both still accept the token until it expires.
    let at_jwt_app = test_support::get_with(&jwt.server, &cred, "/protected").await;
    assert_eq!(at_jwt_app.status(), StatusCode::OK);
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn with_jwt_apps_redis_denylist_a_logout_reaches_the_resource_server() {
    let Some(url) = shared_redis_url().await else {
        return;
    };
    let keys = Prefix::new(&url, "resource-deny");
    let shared = [
        "--denylist",
        "redis",
        "--redis-url",
        &url,
        "--redis-prefix",
        &keys.prefix,
    ];
    let jwt = jwt_app(&shared).await;
    let rs = jwt_resource(&jwt, &shared).await;
    let (_, cred) = jwt.user("denied").await;
    assert_eq!(
        status_of(rs.get("/notes", Some(&cred)).await).await,
        StatusCode::OK
    );
    let before = rs.counters().await;

    jwt.logout(&cred).await;

    let res = rs.get("/notes", Some(&cred)).await;
    assert!(challenge(&res).contains("revoked"), "{}", challenge(&res));
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Redis was asked, jwt-app was not.
    assert_eq!(
        rs.counters().await.get("upstream_calls"),
        before.get("upstream_calls")
    );

    // Another login of the same user is not denied.
    let (_, other) = jwt.user("not-denied").await;
    assert_eq!(
        status_of(rs.get("/notes", Some(&other)).await).await,
        StatusCode::OK
    );
}
