use reqwest::StatusCode;
use test_support::{client, contract::new_user};

use crate::{helpers::spawn_app, store_suite};

#[tokio::test]
async fn logout_deletes_the_session_server_side() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        store_suite::logout_deletes_the_session(&app.server).await;
    }
}

/// express-session with connect-redis shipped this bug: a request in flight
/// during logout saved the session again after it was deleted.
#[tokio::test]
async fn requests_in_flight_during_logout_do_not_revive_the_session() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store]).await;
        store_suite::in_flight_logout_does_not_revive(&app.server).await;
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
