//! The denylist denies a whole login, not just the token presented: every
//! access token of a login carries its `sid`, and a logout, a detected
//! refresh replay or a demotion denies that `sid` until the login's last
//! access token has expired. Run on each denylist (`denylist::redis::…`).

use reqwest::StatusCode;

use crate::{
    backends::redis,
    helpers::{TestApp, expect_invalid_grant, expect_invalid_token, spawn_app, token_pair},
    refresh::rules,
};

macro_rules! denylist_suite {
    ($backend:ident) => {
        mod $backend {
            #[tokio::test]
            async fn logout_denies_every_access_token_of_the_login() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    super::logout_denies_the_login(&app).await;
                }
            }

            #[tokio::test]
            async fn a_refresh_replay_denies_the_login() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    super::replay_denies_the_login(&app).await;
                }
            }

            #[tokio::test]
            async fn demotion_revokes_refresh_and_denied_logins() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    assert!(app.denylist_on());
                    super::rules::demotion_revokes_every_login(&app).await;
                }
            }
        }
    };
}

async fn memory(extra: &[&str]) -> Option<((), TestApp)> {
    let mut args = vec!["--denylist", "memory"];
    args.extend_from_slice(extra);
    Some(((), spawn_app(&args).await))
}

denylist_suite!(memory);
denylist_suite!(redis);

/// Log in, refresh, log out with the new access token: the access token from
/// before the refresh belongs to the same login and dies with it.
async fn logout_denies_the_login(app: &TestApp) {
    let (email, first) = app.user("whole-login").await;
    let other = app.login(&email).await;
    let second = token_pair(app.refresh(&first.refresh).await).await;

    assert_eq!(
        app.logout(&second.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    for access in [&first.access, &second.access] {
        expect_invalid_token(app.get("/protected", Some(access)).await).await;
    }
    // Another login of the same user is another sid: untouched.
    assert_eq!(
        app.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}

/// A replayed refresh token means a thief may hold the login: every access
/// token of it is denied along with the family.
async fn replay_denies_the_login(app: &TestApp) {
    let (email, first) = app.user("replayed-login").await;
    let other = app.login(&email).await;
    let second = token_pair(app.refresh(&first.refresh).await).await;

    expect_invalid_grant(app.refresh(&first.refresh).await).await;
    for access in [&first.access, &second.access] {
        expect_invalid_token(app.get("/protected", Some(access)).await).await;
    }
    assert_eq!(
        app.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}
