use reqwest::StatusCode;
use test_support::{expect_error, json, unique_email};

use crate::helpers::{TestApp, challenge, claims, expect_invalid_grant, spawn_app, token_pair};

/// An app with an admin (granted by the operator's command), and that admin's tokens.
async fn app_with_admin() -> (TestApp, String) {
    let admin = unique_email("admin");
    let app = spawn_app(&[]).await;
    app.register(&admin).await;
    test_support::operator::set_role(&app, &admin, "admin").await;
    let tokens = app.login(&admin).await;
    assert_eq!(claims(&tokens.access)["role"], "admin");
    (app, tokens.access)
}

#[tokio::test]
async fn admin_needs_a_token_and_the_admin_role() {
    let (app, admin_token) = app_with_admin().await;
    let (_, user) = app.user("plain").await;

    let res = app.get("/admin", None).await;
    assert_eq!(challenge(&res), "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let res = app.get("/admin", Some(&user.access)).await;
    assert_eq!(challenge(&res), "Bearer error=\"insufficient_scope\"");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, body) = json(app.get("/admin", Some(&admin_token)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn admins_set_roles() {
    let (app, admin_token) = app_with_admin().await;
    let (email, user) = app.user("promoted").await;

    let (status, body) = json(app.set_role(&admin_token, &email, "admin").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email"], email.as_str());
    assert_eq!(body["role"], "admin");

    let res = app.set_role(&admin_token, &email, "superuser").await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;

    let res = app
        .set_role(&admin_token, "nobody@example.com", "admin")
        .await;
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // Its older token still says "user", but a privileged write asks the
    // database, which says admin: the promotion counts for writes at once.
    assert_eq!(claims(&user.access)["role"], "user");
    let (status, body) = json(app.set_role(&user.access, &email, "user").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "user");
}

#[tokio::test]
async fn a_role_change_reaches_the_token_only_at_the_next_refresh() {
    let (app, admin_token) = app_with_admin().await;
    let (email, user) = app.user("stale").await;
    let res = app.set_role(&admin_token, &email, "admin").await;
    assert_eq!(res.status(), StatusCode::OK);

    // The lesson: the old token still says "user" until it is refreshed.
    let res = app.get("/admin", Some(&user.access)).await;
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    let refreshed = token_pair(app.refresh(&user.refresh).await).await;
    assert_eq!(claims(&refreshed.access)["role"], "admin");
    let res = app.get("/admin", Some(&refreshed.access)).await;
    assert_eq!(res.status(), StatusCode::OK);

    // And back: the demoted token keeps its stale claim for reads until it
    // expires, but no refresh renews it: a demotion revokes every family.
    let res = app.set_role(&admin_token, &email, "user").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/admin", Some(&refreshed.access)).await.status(),
        StatusCode::OK
    );
    expect_invalid_grant(app.refresh(&refreshed.refresh).await).await;
    let demoted = app.login(&email).await;
    let res = app.get("/admin", Some(&demoted.access)).await;
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
}

/// The operator's command demotes like the route does: the user's refresh
/// tokens stop at once, from another process than the server (two logins:
/// `user` logs in once, the test once more).
#[tokio::test]
async fn a_demotion_by_the_operator_command_revokes_refresh_tokens() {
    let (app, _) = app_with_admin().await;
    let (email, _) = app.user("cli-deputy").await;
    test_support::operator::set_role(&app, &email, "admin").await;
    let tokens = app.login(&email).await;
    let (ok, stdout, stderr) = test_support::operator::run_set_role(&app, &email, "user").await;
    assert!(ok, "{stdout} {stderr}");
    assert!(
        stdout.contains(&format!("{email}: admin -> user")) && stdout.contains("2 login(s)"),
        "{stdout}"
    );
    expect_error(
        app.refresh(&tokens.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    let fresh = app.login(&email).await;
    assert_eq!(claims(&fresh.access)["role"], "user");
}
