//! Logout and the access token: without a denylist it outlives the logout
//! (the loophole), with one it dies at once. What logout does to refresh
//! tokens is a rule of every refresh store (refresh.rs).

use reqwest::StatusCode;
use serde_json::json;
use test_support::expect_error;

use crate::helpers::{challenge, expect_invalid_grant, expect_invalid_token, spawn_app};

#[tokio::test]
async fn without_a_denylist_the_access_token_outlives_logout() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("loophole").await;

    let res = app
        .logout(
            &tokens.access,
            Some(json!({"refresh_token": tokens.refresh})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // The logout loophole, on purpose: nothing is looked up, so the stateless
    // token keeps working until its exp.
    assert_eq!(
        app.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK
    );
    // But its refresh family is gone: no new access token after this one.
    expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
}

#[tokio::test]
async fn with_the_memory_denylist_the_access_token_dies_at_logout() {
    let app = spawn_app(&["--denylist", "memory"]).await;
    let (email, tokens) = app.user("denied").await;
    let other = app.login(&email).await;

    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app.get("/protected", Some(&tokens.access)).await;
    assert!(challenge(&res).contains("revoked"), "{}", challenge(&res));
    expect_invalid_token(res).await;
    // Logging out again with the dead token ends nothing more, and is no
    // error: the page must not read it as "still logged in" (RFC 7009).
    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );

    // Only that token: another login of the same user is untouched.
    assert_eq!(
        app.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_needs_a_token() {
    let app = spawn_app(&[]).await;
    let res = app.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(challenge(&res), "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// A body that is not the documented object is refused, and the login it
/// came with lives on. An array of the fields in order is what serde alone
/// would read as the struct (schemathesis sent `[null]` and saw 204).
#[tokio::test]
async fn a_malformed_logout_body_is_refused_and_ends_nothing() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("badbody").await;
    let as_array = json!([tokens.refresh]).to_string();
    for body in ["{not json", "[null]", as_array.as_str()] {
        let res = app
            .client
            .post(app.url("/logout"))
            .bearer_auth(&tokens.access)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
        let still = app.get("/protected", Some(&tokens.access)).await;
        assert_eq!(still.status(), StatusCode::OK, "after {body}");
    }
    let refreshed = app.refresh(&tokens.refresh).await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refresh token survives"
    );
}

/// Short-lived access tokens, checked without leeway, so that a test can
/// wait past their `exp`.
const EXPIRING: [&str; 4] = ["--access-ttl", "1s", "--jwt-leeway", "0s"];

async fn wait_past_exp() {
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
}

/// A user who clicks "log out" after the access token expired: the logout
/// still ends the login, so the refresh token (alive for days) is dead too.
#[tokio::test]
async fn an_expired_access_token_still_logs_out() {
    let app = spawn_app(&EXPIRING).await;
    let (_, tokens) = app.user("expired").await;
    wait_past_exp().await;
    expect_invalid_token(app.get("/protected", Some(&tokens.access)).await).await;

    let res = app
        .logout(
            &tokens.access,
            Some(json!({"refresh_token": tokens.refresh})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
}

/// A client that kept only its refresh token (the access token lost, or
/// never kept past a reload) logs out with it alone: the login ends, and
/// with a denylist its access tokens die with it.
#[tokio::test]
async fn the_refresh_token_alone_logs_out() {
    for denylist in ["off", "memory"] {
        let app = spawn_app(&["--denylist", denylist]).await;
        let (_, tokens) = app.user("refresh-only").await;
        let res = app
            .client
            .post(app.url("/logout"))
            .json(&json!({"refresh_token": tokens.refresh}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{denylist}");
        expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
        let access = app.get("/protected", Some(&tokens.access)).await;
        if denylist == "off" {
            // The loophole: nothing is asked per request.
            assert_eq!(access.status(), StatusCode::OK);
        } else {
            expect_invalid_token(access).await;
        }
    }
}

/// RFC 7009: an unknown or already dead refresh token is no error; there is
/// nothing left to end. (No credential at all is still "who are you?":
/// `logout_needs_a_token`.)
#[tokio::test]
async fn a_dead_refresh_token_logs_out_nothing() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("dead").await;
    let logout_with = |refresh: &str| {
        app.client
            .post(app.url("/logout"))
            .json(&json!({ "refresh_token": refresh }))
            .send()
    };
    for dead in ["not-a-token", &"A".repeat(43)] {
        assert_eq!(
            logout_with(dead).await.unwrap().status(),
            StatusCode::NO_CONTENT,
            "{dead}"
        );
    }
    assert_eq!(
        logout_with(&tokens.refresh).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        logout_with(&tokens.refresh).await.unwrap().status(),
        StatusCode::NO_CONTENT,
        "twice: already dead"
    );
}

/// A token this server did not sign names no login: refused, and nothing
/// of the real user's ends.
#[tokio::test]
async fn a_forged_access_token_ends_nothing() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("forged").await;
    let mut parts: Vec<&str> = tokens.access.split('.').collect();
    let tampered = format!("{}x", parts[2]);
    parts[2] = &tampered;
    let forged = parts.join(".");
    expect_invalid_token(app.logout(&forged, None).await).await;
    assert_eq!(
        app.refresh(&tokens.refresh).await.status(),
        StatusCode::OK,
        "the real login lives on"
    );
}

/// The body is optional, and its document says so with a nullable schema:
/// `null` is no body, not a 400 (schemathesis' finding, issue 21).
#[tokio::test]
async fn a_null_body_is_no_body() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("null-body").await;
    let res = app
        .logout(&tokens.access, Some(serde_json::Value::Null))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // The login it named is over: its refresh token no longer refreshes.
    expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
    // A body that is JSON but not the shape is still refused.
    let res = app.logout(&tokens.access, Some(json!([1]))).await;
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
}
