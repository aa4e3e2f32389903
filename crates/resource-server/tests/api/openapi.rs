//! The API documents, one per mode (their credential differs): the
//! committed copies are what the servers serve, and schemathesis finds
//! nothing against the servers they describe.

use test_support::openapi::{Login, matches_committed, schemathesis};

use crate::helpers::{LoginServer, jwt_app, jwt_resource, session_app, session_resource};

#[tokio::test]
async fn the_committed_documents_are_the_ones_served() {
    let jwt = jwt_app(&[]).await;
    matches_committed(&jwt_resource(&jwt, &[]).await.url(""), "resource-server").await;
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    matches_committed(&rs.url(""), "resource-server-session").await;
}

/// An admin's credential from the login server, so that `/notes/all` is
/// fuzzed past its 403. The resource server has no logout: it stays valid.
async fn admin(login_server: &LoginServer) -> contract_client::client::Credential {
    let (email, _) = login_server.user("fuzz").await;
    login_server.set_role(&email, "admin").await;
    login_server.login(&email).await
}

#[tokio::test]
async fn schemathesis_finds_nothing_in_jwt_mode() {
    let jwt = jwt_app(&[]).await;
    let rs = jwt_resource(&jwt, &[]).await;
    let credential = admin(&jwt).await;
    schemathesis(
        &rs.url(""),
        Login::FixedBearer(credential.value()),
        false,
        "",
    )
    .await;
}

#[tokio::test]
async fn schemathesis_finds_nothing_in_session_mode() {
    let session = session_app(&[]).await;
    let rs = session_resource(&session, &[]).await;
    let credential = admin(&session).await;
    schemathesis(
        &rs.url(""),
        Login::FixedCookie(credential.value()),
        false,
        "",
    )
    .await;
}
