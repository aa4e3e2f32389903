//! The account lifecycle of jwt-app (issue 20): the shared rules of
//! `test_support::lifecycle` (your logins, ending one, sign out everywhere,
//! the password change, the admin's end of a user's logins, the races), and
//! what only JWTs do: an ended login's access token, on each refresh store and
//! denylist mode, and in the cookie transport. A login is alive while its
//! refresh token refreshes (`test_support::lifecycle::is_alive`); its access
//! token may live until `exp` without a denylist (the lesson). With one, ending
//! every login also refuses the user's access tokens issued before it (the
//! "not before"), those of a login already past its end included.

use reqwest::StatusCode;
use serde_json::json;
use test_support::{
    PASSWORD, TestServer, client,
    contract::new_user,
    expect_error, get_with, json,
    lifecycle::{change_password, end_login, is_alive, login_as, logins, logout_everywhere},
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

/// The shared lifecycle rules (`test_support::lifecycle`, the same as
/// session-app's) on each refresh store, denylist mode and transport.
mod shared {
    use test_support::lifecycle_suite;

    use crate::helpers::{Prefix, TestApp, spawn_app, spawn_app_on};
    use test_support::databases::Kind;

    async fn with(base: &[&str], extra: &[&str]) -> Option<TestApp> {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        Some(spawn_app(&args).await)
    }

    async fn denylist_off(extra: &[&str]) -> Option<TestApp> {
        with(&[], extra).await
    }

    async fn denylist_memory(extra: &[&str]) -> Option<TestApp> {
        with(&["--denylist", "memory"], extra).await
    }

    async fn cookie(extra: &[&str]) -> Option<TestApp> {
        with(&["--token-transport", "cookie"], extra).await
    }

    async fn postgres(extra: &[&str]) -> Option<(test_support::databases::TestDatabase, TestApp)> {
        spawn_app_on(Kind::Postgres, extra).await
    }

    async fn mariadb(extra: &[&str]) -> Option<(test_support::databases::TestDatabase, TestApp)> {
        spawn_app_on(Kind::MySql, extra).await
    }

    async fn redis(extra: &[&str]) -> Option<(Prefix, TestApp)> {
        let url = test_support::redis::shared_redis_url().await?;
        let prefix = Prefix::new(&url);
        let app = spawn_app(&prefix.args(extra)).await;
        Some((prefix, app))
    }

    lifecycle_suite!(denylist_off, denylist_off);
    lifecycle_suite!(denylist_memory, denylist_memory);
    lifecycle_suite!(cookie, cookie);
    lifecycle_suite!(postgres, postgres);
    lifecycle_suite!(mariadb, mariadb);
    lifecycle_suite!(redis, redis);
}

/// Ending one login (`DELETE /account/logins/{id}`) from another device: its
/// refresh dies either way; its access token is refused at once with a
/// denylist (its `sid` denied, as at logout) and works until `exp` without.
async fn ending_one_login_and_its_access_token(server: &TestServer, denylist: bool) {
    let (email, me) = new_user(server, "jwt-end-one").await;
    let other = login_as(server, &email, PASSWORD, "Other/1").await;
    let listed = logins(server, &me).await;
    let id = listed
        .iter()
        .find(|l| l["user_agent"] == "Other/1")
        .and_then(|l| l["id"].as_str())
        .expect("the other login")
        .to_owned();
    let res = end_login(server, &me, &id, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let status = get_with(server, &other, "/protected").await.status();
    if denylist {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "denied at once");
    } else {
        assert_eq!(status, StatusCode::OK, "works until exp: the lesson");
    }
    assert!(!is_alive(server, &other).await, "its refresh is dead");
    assert_eq!(
        get_with(server, &me, "/protected").await.status(),
        StatusCode::OK,
        "the caller's login lives"
    );
}

#[tokio::test]
async fn ending_one_login_without_a_denylist_leaves_its_access_token() {
    let app = spawn_app(&[]).await;
    ending_one_login_and_its_access_token(&app.server, false).await;
}

#[tokio::test]
async fn ending_one_login_with_the_memory_denylist_denies_its_access_token() {
    let app = spawn_app(&["--denylist", "memory"]).await;
    ending_one_login_and_its_access_token(&app.server, true).await;
}

#[tokio::test]
async fn ending_one_login_with_the_redis_denylist_denies_its_access_token() {
    if let Some((_prefix, app)) = redis_stores().await {
        ending_one_login_and_its_access_token(&app.server, true).await;
    }
}

/// The per-user "not before": after a password change, the access tokens
/// issued before it are refused at once with a denylist and work until
/// `exp` without one; the change's own new pair works either way. Sign out
/// everywhere does the same to that new pair.
async fn access_tokens_issued_before(server: &TestServer, denylist: bool) {
    let (email, me) = new_user(server, "jwt-not-before").await;
    let other = login_credential(server, &email, PASSWORD).await;
    let res = change_password(
        server,
        &me,
        json!({"current_password": PASSWORD, "new_password": "a new passphrase"}),
    )
    .await;
    let headers = res.headers().clone();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renewed = test_support::contract::Credential::from_response(&headers, &body)
        .expect("a new token pair");
    let before = if denylist {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    for (cred, what) in [(&me, "this login's old token"), (&other, "another login's")] {
        let status = get_with(server, cred, "/protected").await.status();
        assert_eq!(status, before, "{what}, issued before the change");
    }
    assert_eq!(
        get_with(server, &renewed, "/protected").await.status(),
        StatusCode::OK,
        "the change's own new pair is issued after it"
    );

    // Sign out everywhere, a second later: the new pair is now "before".
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = logout_everywhere(server, &renewed, "a new passphrase").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let status = get_with(server, &renewed, "/protected").await.status();
    assert_eq!(status, before, "signed out everywhere");
}

#[tokio::test]
async fn without_a_denylist_access_tokens_issued_before_live_until_exp() {
    let app = spawn_app(&[]).await;
    access_tokens_issued_before(&app.server, false).await;
}

#[tokio::test]
async fn the_memory_denylist_refuses_access_tokens_issued_before() {
    let app = spawn_app(&["--denylist", "memory"]).await;
    access_tokens_issued_before(&app.server, true).await;
}

#[tokio::test]
async fn the_redis_denylist_refuses_access_tokens_issued_before() {
    if let Some((_prefix, app)) = redis_stores().await {
        access_tokens_issued_before(&app.server, true).await;
    }
}

/// How long a login lasts in [`a_login_past_its_end`]: its refresh family's
/// absolute end, short enough to wait out.
const FAMILY_END: [&str; 2] = ["--refresh-family-ttl", "1s"];

/// The access tokens only the per-user "not before" refuses: those of a
/// login that is over by itself. Past `REFRESH_FAMILY_TTL` a store no longer
/// names the family (the db store's `live_families` skips it, the Redis
/// `usr:` set has expired with it), so ending every login denies no `sid` of
/// it, yet its last access token lives until `exp`. Each route that ends
/// every login must refuse it with a denylist; without one it works on (the
/// lesson).
async fn a_login_past_its_end(app: &impl Served, denylist: bool) {
    let server = app.server();
    let admin_email = unique_email("jwt-past-end-admin");
    assert_eq!(
        register(&client(), server, &admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
    test_support::operator::set_role(app, &admin_email, "admin").await;
    let mut stale = Vec::new();
    for route in ["everywhere", "password", "admin"] {
        let (email, cred) = new_user(server, &format!("jwt-past-end-{route}")).await;
        stale.push((route, email, cred));
    }
    // Past the family's end (whole seconds in the db store), and a later
    // second than the stale tokens' `iat`.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    for (route, _, cred) in &stale {
        assert!(!is_alive(server, cred).await, "{route}: the login is over");
        assert_eq!(
            get_with(server, cred, "/protected").await.status(),
            StatusCode::OK,
            "{route}: its access token lives on until exp"
        );
    }

    for (route, email, _) in &stale {
        let status = match *route {
            "everywhere" => {
                let fresh = login_credential(server, email, PASSWORD).await;
                logout_everywhere(server, &fresh, PASSWORD).await.status()
            }
            "password" => {
                let fresh = login_credential(server, email, PASSWORD).await;
                let body =
                    json!({"current_password": PASSWORD, "new_password": "a new passphrase"});
                change_password(server, &fresh, body).await.status()
            }
            _ => {
                let admin = login_credential(server, &admin_email, PASSWORD).await;
                let path = format!("/admin/users/{email}/logins");
                admin
                    .attach(client().delete(server.url(&path)))
                    .send()
                    .await
                    .expect("send")
                    .status()
            }
        };
        assert!(status.is_success(), "{route}: {status}");
    }
    let wanted = if denylist {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut after = Vec::new();
    for (route, _, cred) in &stale {
        after.push((*route, get_with(server, cred, "/protected").await.status()));
    }
    assert_eq!(
        after,
        stale.iter().map(|(r, ..)| (*r, wanted)).collect::<Vec<_>>(),
        "the access tokens of logins past their end, after each route ended every login"
    );
}

#[tokio::test]
async fn without_a_denylist_a_login_past_its_end_keeps_its_access_token() {
    let app = spawn_app(&FAMILY_END).await;
    a_login_past_its_end(&app, false).await;
}

#[tokio::test]
async fn the_memory_denylist_refuses_the_access_token_of_a_login_past_its_end() {
    let app = spawn_app(&[&["--denylist", "memory"][..], &FAMILY_END].concat()).await;
    a_login_past_its_end(&app, true).await;
}

#[tokio::test]
async fn the_redis_denylist_refuses_the_access_token_of_a_login_past_its_end() {
    let Some(url) = test_support::redis::shared_redis_url().await else {
        return;
    };
    let prefix = Prefix::new(&url);
    let app = spawn_app(&prefix.args(&FAMILY_END)).await;
    a_login_past_its_end(&(prefix, app), true).await;
}
