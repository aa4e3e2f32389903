//! The account lifecycle of jwt-app (issue 20) as far as it is written: sign
//! out everywhere, the password change, the admin's end of a user's logins
//! and the race of a password change with logins, on each refresh store and
//! denylist mode, and in the cookie transport. A login is alive while its
//! refresh token refreshes (`test_support::lifecycle::is_alive`); its access
//! token may live until `exp` without a denylist (the lesson).

use reqwest::StatusCode;
use serde_json::json;
use test_support::{
    PASSWORD, TestServer, client,
    contract::new_user,
    expect_error, json,
    lifecycle::{change_password, is_alive, logout_everywhere},
    login, login_credential, register,
    suite::Served,
    unique_email,
};

use crate::helpers::{Prefix, TestApp, spawn_app, spawn_app_on};

/// Every login ends, this one included; a wrong password ends none.
async fn logout_everywhere_ends_every_family(server: &TestServer) {
    let email = unique_email("jwt-everywhere");
    assert_eq!(
        register(&client(), server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let me = login_credential(server, &email, PASSWORD).await;
    let others = [
        login_credential(server, &email, PASSWORD).await,
        login_credential(server, &email, PASSWORD).await,
    ];
    let (_, stranger) = new_user(server, "jwt-everywhere-other").await;
    expect_error(
        logout_everywhere(server, &me, "wrong password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert!(
        is_alive(server, &others[0]).await,
        "a wrong password ends nothing"
    );

    let res = logout_everywhere(server, &me, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    if me.is_cookie() {
        let cleared = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter(|v| v.to_str().is_ok_and(|c| c.contains("Max-Age=0")))
            .count();
        assert!(cleared >= 2, "the token cookies are cleared");
    }
    assert!(!is_alive(server, &me).await, "this login ended");
    assert!(!is_alive(server, &others[1]).await, "the others ended");
    assert!(
        is_alive(server, &stranger).await,
        "another user's login lives"
    );
    login_credential(server, &email, PASSWORD).await;
}

/// 401 and 400 change nothing; 200 answers a new token pair with
/// `logins_ended`, the others and the old family are dead, the new one lives.
async fn a_password_change_answers_a_new_pair(server: &TestServer) {
    let email = unique_email("jwt-password");
    assert_eq!(
        register(&client(), server, &email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let me = login_credential(server, &email, PASSWORD).await;
    let other = login_credential(server, &email, PASSWORD).await;
    let wrong = json!({"current_password": "wrong password", "new_password": "a new passphrase"});
    expect_error(
        change_password(server, &me, wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let short = json!({"current_password": PASSWORD, "new_password": "short"});
    expect_error(
        change_password(server, &me, short).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;

    let good = json!({"current_password": PASSWORD, "new_password": "a new passphrase"});
    let res = change_password(server, &me, good).await;
    let headers = res.headers().clone();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["logins_ended"], 1, "{body}");
    assert!(body["expires_in"].is_u64(), "answered like a login: {body}");
    let renewed = test_support::contract::Credential::from_response(&headers, &body)
        .expect("a new token pair");
    assert!(!is_alive(server, &other).await, "the other login ended");
    assert!(!is_alive(server, &me).await, "the old family ended");
    assert!(is_alive(server, &renewed).await, "this login continues");
    expect_error(
        login(&client(), server, &email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    login_credential(server, &email, "a new passphrase").await;
}

/// 401, 403, 404; an admin ends every family of the user.
async fn the_admin_ends_a_users_logins(app: &impl Served) {
    let server = app.server();
    let admin_email = unique_email("jwt-lifecycle-admin");
    assert_eq!(
        register(&client(), server, &admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
    test_support::operator::set_role(app, &admin_email, "admin").await;
    let admin = login_credential(server, &admin_email, PASSWORD).await;
    let (email, user) = new_user(server, "jwt-lifecycle-target").await;
    let second = login_credential(server, &email, PASSWORD).await;
    let path = format!("/admin/users/{email}/logins");
    let res = client()
        .delete(server.url(&path))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = user
        .attach(client().delete(server.url(&path)))
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let ghost = format!("/admin/users/{}/logins", unique_email("ghost"));
    let res = admin
        .attach(client().delete(server.url(&ghost)))
        .send()
        .await
        .expect("send");
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = admin
        .attach(client().delete(server.url(&path)))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!is_alive(server, &user).await);
    assert!(!is_alive(server, &second).await);
    assert!(
        is_alive(server, &admin).await,
        "the admin's own login lives"
    );
}

macro_rules! jwt_lifecycle {
    ($backend:ident, $start:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test]
            async fn logout_everywhere_ends_every_family() {
                if let Some(app) = $start.await {
                    super::logout_everywhere_ends_every_family(app.server()).await;
                }
            }

            #[tokio::test]
            async fn a_password_change_answers_a_new_pair() {
                if let Some(app) = $start.await {
                    super::a_password_change_answers_a_new_pair(app.server()).await;
                }
            }

            #[tokio::test]
            async fn the_admin_ends_a_users_logins() {
                if let Some(app) = $start.await {
                    super::the_admin_ends_a_users_logins(&app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn password_change_races() {
                if let Some(app) = $start.await {
                    test_support::lifecycle::password_change_races(app.server()).await;
                }
            }
        }
    };
}

async fn plain(extra: &[&str]) -> Option<TestApp> {
    Some(spawn_app(extra).await)
}

async fn redis_stores() -> Option<(Prefix, TestApp)> {
    let url = test_support::redis::shared_redis_url().await?;
    let prefix = Prefix::new(&url);
    let app = spawn_app(&prefix.args(&[])).await;
    Some((prefix, app))
}

jwt_lifecycle!(denylist_off, plain(&[]));
jwt_lifecycle!(denylist_memory, plain(&["--denylist", "memory"]));
jwt_lifecycle!(cookie, plain(&["--token-transport", "cookie"]));
jwt_lifecycle!(
    postgres,
    spawn_app_on(test_support::databases::Kind::Postgres, &[])
);
jwt_lifecycle!(
    mariadb,
    spawn_app_on(test_support::databases::Kind::MySql, &[])
);
jwt_lifecycle!(redis, redis_stores());
