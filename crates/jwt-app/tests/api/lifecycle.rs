//! The account lifecycle of jwt-app (issue 20): the shared rules of
//! `test_support::lifecycle` (your logins, ending one, sign out everywhere,
//! the password change, the admin's end of a user's logins, the races) on
//! each refresh store, denylist mode and transport, and what only JWTs do:
//! an ended login's access token. A login is alive while its refresh token
//! refreshes (`test_support::lifecycle::is_alive`); its access token may
//! live until `exp` without a denylist (the lesson). With one, ending every
//! login also refuses the user's access tokens issued before it (the "not
//! before"), those of a login already past its end included.

use reqwest::StatusCode;
use serde_json::json;
use test_support::{
    PASSWORD, TestServer, client,
    contract::new_user,
    get_with, issued_credential,
    lifecycle::{change_password, devices, end_login, is_alive, logins, logout_everywhere},
    lifecycle_suite, login_credential, register,
    suite::Served,
    unique_email,
};

use crate::{
    backends::{cookie, denylist_memory, denylist_off, mariadb, postgres, redis},
    helpers::{Prefix, spawn_app},
};

lifecycle_suite!(denylist_off, denylist_off);
lifecycle_suite!(denylist_memory, denylist_memory);
lifecycle_suite!(cookie, cookie);
lifecycle_suite!(postgres, postgres);
lifecycle_suite!(mariadb, mariadb);
lifecycle_suite!(redis, redis);

/// Ending one login (`DELETE /account/logins/{id}`) from another device: its
/// refresh dies either way; its access token is refused at once with a
/// denylist (its `sid` denied, as at logout) and works until `exp` without.
async fn ending_one_login_and_its_access_token(server: &TestServer, denylist: bool) {
    let (_, [me, other]) = devices(server, "jwt-end-one", ["Me/1", "Other/1"]).await;
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
    if let Some((_prefix, app)) = redis(&[]).await {
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
    let (_, renewed) = issued_credential(res, "password change").await;
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
    if let Some((_prefix, app)) = redis(&[]).await {
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
