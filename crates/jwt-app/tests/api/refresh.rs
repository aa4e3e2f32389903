use reqwest::StatusCode;
use serde_json::json;
use test_support::{expect_error, json};

use crate::helpers::{TestApp, claims, spawn_app, token_pair};

#[tokio::test]
async fn refresh_rotates_both_tokens_and_spends_the_old_one() {
    let app = spawn_app(&[]).await;
    let (_, first) = app.user("rotate").await;

    let res = app.refresh(&first.refresh).await;
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_expires_in"].is_u64());
    let second = crate::helpers::TokenPair {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    };
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(
        claims(&second.access)["sid"],
        claims(&first.access)["sid"],
        "a rotation stays in the same family"
    );
    assert_eq!(
        app.get("/protected", Some(&second.access)).await.status(),
        StatusCode::OK
    );

    // The next rotation works from the new token.
    let third = token_pair(app.refresh(&second.refresh).await).await;
    assert_ne!(third.refresh, second.refresh);
}

#[tokio::test]
async fn a_replayed_refresh_token_revokes_its_whole_family() {
    replay_revokes_the_family(&spawn_app(&[]).await).await;
}

/// A spent refresh token presented again answers `invalid_grant` and kills
/// the newest token of its family too. Run on every database (databases.rs).
pub async fn replay_revokes_the_family(app: &TestApp) {
    let (_, first) = app.user("replay").await;
    let second = token_pair(app.refresh(&first.refresh).await).await;

    // An attacker (or a confused client) presents the spent token again.
    expect_error(
        app.refresh(&first.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    // The newest token of the family dies with it: whoever holds it must log in again.
    expect_error(
        app.refresh(&second.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_replay_does_not_touch_other_logins_of_the_same_user() {
    let app = spawn_app(&[]).await;
    let (email, first) = app.user("families").await;
    let other = app.login(&email).await;
    let _ = token_pair(app.refresh(&first.refresh).await).await;
    let _ = app.refresh(&first.refresh).await;

    assert_eq!(app.refresh(&other.refresh).await.status(), StatusCode::OK);
}

// Several worker threads, so that the two requests really run side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_refreshes_with_one_token_make_exactly_one_winner() {
    one_winner_of_concurrent_refreshes(&spawn_app(&[]).await, 8).await;
}

/// Two refreshes racing with one token: exactly one 200, and the loser,
/// indistinguishable from a replay, revokes the family. Run on every database.
pub async fn one_winner_of_concurrent_refreshes(app: &TestApp, rounds: u32) {
    let (email, _) = app.user("race").await;
    for round in 0..rounds {
        let tokens = app.login(&email).await;
        let (a, b) = tokio::join!(app.refresh(&tokens.refresh), app.refresh(&tokens.refresh));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNAUTHORIZED],
            "round {round}"
        );
        let (winner, loser) = if a.status() == StatusCode::OK {
            (a, b)
        } else {
            (b, a)
        };
        expect_error(loser, StatusCode::UNAUTHORIZED, "invalid_grant").await;
        // The loser looks exactly like a replay of a spent token, so it revokes
        // the family: the winner's new refresh token is dead too.
        let winner = token_pair(winner).await;
        expect_error(
            app.refresh(&winner.refresh).await,
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_or_malformed_refresh_requests_are_refused() {
    let app = spawn_app(&[]).await;
    expect_error(
        app.refresh("not-a-refresh-token").await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    expect_error(
        app.refresh(&"x".repeat(4000)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    for body in [json!({}), json!({"refresh_token": 42})] {
        let res = app
            .client
            .post(app.url("/refresh"))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::BAD_REQUEST, "invalid_input").await;
    }
}

#[tokio::test]
async fn an_access_token_is_no_refresh_token() {
    let app = spawn_app(&[]).await;
    let (_, tokens) = app.user("confused").await;
    expect_error(
        app.refresh(&tokens.access).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
}
