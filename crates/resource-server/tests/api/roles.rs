//! How a demotion reaches the resource server's admin page: in jwt mode the
//! token's role claim holds until the token expires; in session mode
//! session-app's answer, read from its database, changes at once.

use std::time::Duration;

use reqwest::StatusCode;
use test_support::{expect_error, json};

use crate::helpers::{
    LoginServer, challenge, jwt_app, jwt_part, jwt_resource, session_app, session_resource,
    status_of,
};

/// Two admins (the last one cannot be demoted): the first logged in.
async fn admins(login: &LoginServer) -> (String, contract_client::client::Credential) {
    let (first, _) = login.user("admin").await;
    let (second, _) = login.user("admin2").await;
    login.set_role(&first, "admin").await;
    login.set_role(&second, "admin").await;
    let cred = login.login(&first).await;
    (first, cred)
}

#[tokio::test]
async fn jwt_mode_keeps_a_demoted_admins_role_until_the_token_expires() {
    let ttl = ["--access-ttl", "6s", "--jwt-leeway", "0"];
    let jwt = jwt_app(&ttl).await;
    let rs = jwt_resource(&jwt, &["--jwt-leeway", "0"]).await;
    let (admin, cred) = admins(&jwt).await;
    let exp = jwt_part(cred.jwt().expect("a token"), 1)["exp"]
        .as_i64()
        .expect("exp");
    assert_eq!(
        status_of(rs.get("/notes/all", Some(&cred)).await).await,
        StatusCode::OK
    );

    let (_, user) = jwt.user("plain").await;
    let res = rs.get("/notes/all", Some(&user)).await;
    assert_eq!(challenge(&res), "Bearer error=\"insufficient_scope\"");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    jwt.set_role(&admin, "user").await;
    let now = jsonwebtoken::get_current_timestamp() as i64;
    assert!(now < exp, "the token outlived the demotion");
    let (status, body) = json(rs.get("/notes/all", Some(&cred)).await).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the stale role claim still says admin: {body}"
    );

    // Until the token expires; a new login carries the new role.
    let wait = u64::try_from(exp + 1 - now).expect("positive");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let res = rs.get("/notes/all", Some(&cred)).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let cred = jwt.login(&admin).await;
    let res = rs.get("/notes/all", Some(&cred)).await;
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn session_mode_reflects_a_demotion_at_once() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let (admin, cred) = admins(&session).await;
    assert_eq!(
        status_of(rs.get("/notes/all", Some(&cred)).await).await,
        StatusCode::OK
    );

    let (_, user) = session.user("plain").await;
    let res = rs.get("/notes/all", Some(&user)).await;
    assert_eq!(challenge(&res), "", "a cookie gets no Bearer challenge");
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    let before = rs.counters().await;
    session.set_role(&admin, "user").await;
    let res = rs.get("/notes/all", Some(&cred)).await;
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let (status, body) = json(rs.get("/notes", Some(&cred)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["role"], "user", "{body}");
    assert_eq!(
        rs.counters().await.get("introspections"),
        before.get("introspections") + 2,
        "one question per request"
    );
}
