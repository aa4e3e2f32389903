//! What every session store must do, as one suite that each store's tests
//! run: memory and db (logout.rs), db on each database (backends.rs), Redis
//! (redis.rs).

use futures::future::join_all;
use reqwest::{StatusCode, header};
use test_support::{
    TestServer, client,
    contract::{Credential, new_user},
    expect_error,
};

/// Logout deletes the session on the server: the cookie is cleared, and the
/// old cookie replayed (a client that kept it, or a thief who copied it) is refused.
pub async fn logout_deletes_the_session(server: &TestServer) {
    let c = client();
    let (_, cred) = new_user(server, "out").await;
    let res = cred
        .attach(c.post(server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let removal = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        removal.starts_with("sid=") && removal.contains("Max-Age=0"),
        "cookie cleared: {removal}"
    );
    let replay = cred
        .attach(c.get(server.url("/protected")))
        .send()
        .await
        .unwrap();
    expect_error(replay, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = cred
        .attach(c.post(server.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

/// Requests on the session still in flight while it is logged out must not
/// write it back (express-session + connect-redis shipped that bug). Returns
/// the dead credential, for store-specific checks.
pub async fn in_flight_logout_does_not_revive(server: &TestServer) -> Credential {
    let c = client();
    let (_, cred) = new_user(server, "race").await;
    assert!(
        matches!(cred, Credential::Cookie(_)),
        "session-app hands out a cookie"
    );
    let readers = (0..20).map(|_| {
        let req = cred.attach(c.get(server.url("/profile")));
        async move { req.send().await.unwrap().status() }
    });
    let logout = async {
        cred.attach(c.post(server.url("/logout")))
            .send()
            .await
            .unwrap()
            .status()
    };
    let (statuses, logout_status) = tokio::join!(join_all(readers), logout);
    assert_eq!(logout_status, StatusCode::NO_CONTENT);
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    for _ in 0..3 {
        let after = cred
            .attach(c.get(server.url("/protected")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            after.status(),
            StatusCode::UNAUTHORIZED,
            "the session came back"
        );
    }
    cred
}
