use reqwest::StatusCode;
use test_support::{
    PASSWORD, client,
    contract::{login_credential, new_user},
    register,
};

use crate::helpers::spawn_app;

const ADMIN: &str = "teacher@example.com";

/// The database decides the role: a change applies at the next request.
#[tokio::test]
async fn a_role_change_applies_at_once() {
    let app = spawn_app(&[]).await;
    let c = client();
    register(&c, &app.server, ADMIN, PASSWORD).await;
    test_support::operator::set_role(&app, ADMIN, "admin").await;
    let admin = login_credential(&app.server, ADMIN, PASSWORD).await;
    let (email, user) = new_user(&app.server, "promoted").await;
    let admin_page = || async {
        user.attach(c.get(app.server.url("/admin")))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(admin_page().await, StatusCode::FORBIDDEN);
    let res = admin
        .attach(c.put(app.server.url(&format!("/admin/users/{email}/role"))))
        .json(&serde_json::json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(admin_page().await, StatusCode::OK);
}
