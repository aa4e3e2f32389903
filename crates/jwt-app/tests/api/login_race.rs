//! A login racing a demotion (issue 21, suspected, confirmed): the login
//! reads the user, with its role, before bcrypt runs; a demotion landing
//! during bcrypt revoked the user's refresh families and denied their
//! logins before this login had one, and the login then issued a token
//! claiming `admin` that no denylist knew of. The login now reads the role
//! again once its family exists.

use std::time::Duration;

use reqwest::StatusCode;
use test_support::{PASSWORD, client, contract::Credential, get_with, unique_email};

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_racing_a_demotion_does_not_keep_the_admin_claim() {
    // Cost 10: a bcrypt check takes long enough for the demotion to land
    // inside it (and the hash slots let both admins' logins run at once).
    let app = spawn_app(&[
        "--denylist",
        "memory",
        "--bcrypt-cost",
        "10",
        "--hash-concurrency",
        "4",
    ])
    .await;
    let (demoted, operator) = (unique_email("racing"), unique_email("operator"));
    for email in [&demoted, &operator] {
        app.register(email).await;
        test_support::operator::set_role(&app, email, "admin").await;
    }
    let operator = test_support::login_credential(&app.server, &operator, PASSWORD).await;

    let server = &app.server;
    let racing = async { test_support::login(&client(), server, &demoted, PASSWORD).await };
    let demotion = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let res = operator
            .attach(client().put(server.url(&format!("/admin/users/{demoted}/role"))))
            .json(&serde_json::json!({"role": "user"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    };
    let (login, ()) = tokio::join!(racing, demotion);
    let headers = login.headers().clone();
    let (status, body) = test_support::json(login).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cred = Credential::from_response(&headers, &body).expect("a token");
    let admin = get_with(server, &cred, "/admin").await.status();
    assert_ne!(
        admin,
        StatusCode::OK,
        "a login that raced the demotion must not keep admin past it"
    );
}
