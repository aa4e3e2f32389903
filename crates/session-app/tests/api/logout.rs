use futures::future::join_all;
use reqwest::{StatusCode, header};
use test_support::{
    client,
    contract::{Credential, new_user},
    expect_error,
};

use crate::helpers::spawn_app;

#[tokio::test]
async fn logout_deletes_the_session_server_side() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        let c = client();
        let (_, cred) = new_user(&app.server, "out").await;
        let res = cred
            .attach(c.post(app.server.url("/logout")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{store}");
        let removal = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            removal.starts_with("sid=") && removal.contains("Max-Age=0"),
            "{store}: cookie cleared: {removal}"
        );
        // A client that kept the old cookie (or a thief who copied it) is refused.
        let replay = cred
            .attach(c.get(app.server.url("/protected")))
            .send()
            .await
            .unwrap();
        expect_error(replay, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let again = cred
            .attach(c.post(app.server.url("/logout")))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "{store}");
    }
}

/// express-session with connect-redis shipped this bug: a request in flight
/// during logout saved the session again after it was deleted.
#[tokio::test]
async fn requests_in_flight_during_logout_do_not_revive_the_session() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        let c = client();
        let (_, cred) = new_user(&app.server, "race").await;
        let Credential::Cookie(_) = &cred else {
            panic!("session-app hands out a cookie")
        };
        let readers = (0..20).map(|_| {
            let req = cred.attach(c.get(app.server.url("/profile")));
            async move { req.send().await.unwrap().status() }
        });
        let logout = async {
            cred.attach(c.post(app.server.url("/logout")))
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
                .attach(c.get(app.server.url("/protected")))
                .send()
                .await
                .unwrap();
            assert_eq!(
                after.status(),
                StatusCode::UNAUTHORIZED,
                "{store}: the session came back"
            );
        }
    }
}

/// The database decides the role: a change applies at the next request.
#[tokio::test]
async fn a_role_change_applies_at_once() {
    let app = spawn_app(&[]).await;
    let c = client();
    let admin = {
        test_support::register(
            &c,
            &app.server,
            crate::helpers::ADMIN,
            test_support::PASSWORD,
        )
        .await;
        test_support::contract::login_credential(
            &app.server,
            crate::helpers::ADMIN,
            test_support::PASSWORD,
        )
        .await
    };
    let (email, user) = new_user(&app.server, "promoted").await;
    assert_eq!(
        user.attach(c.get(app.server.url("/admin")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let res = admin
        .attach(c.put(app.server.url(&format!("/admin/users/{email}/role"))))
        .json(&serde_json::json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        user.attach(c.get(app.server.url("/admin")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
