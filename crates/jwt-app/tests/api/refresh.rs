//! The refresh-token rules, written once and run on every store: the
//! database store on SQLite, PostgreSQL and MariaDB (the placeholders differ,
//! and so does how each database serialises the two UPDATEs of a refresh
//! race), and the Redis store. The test names say which
//! (`refresh::postgres::a_replay_revokes_the_whole_family`).

use reqwest::StatusCode;
use serde_json::json;
use test_support::{
    databases::{Kind, TestDatabase},
    expect_error, json,
    redis::shared_redis_url,
};

use crate::helpers::{
    Prefix, REFRESH_TTL, REFRESH_TTL_SECS, TestApp, TokenPair, claims, expect_invalid_grant,
    expect_invalid_token, spawn_app, spawn_app_on, token_pair,
};

/// `rules` on one store: `$start()` gives the app and what must outlive it
/// (a throwaway database, a Redis prefix), or `None` when the store's
/// server is missing outside CI (it has said so already).
macro_rules! refresh_store_suite {
    ($backend:ident) => {
        mod $backend {
            use super::rules;

            #[tokio::test]
            async fn a_refresh_rotates_both_tokens_and_spends_the_old_one() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::rotation(&app).await;
                }
            }

            #[tokio::test]
            async fn a_replay_revokes_the_whole_family() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::replay_revokes_the_family(&app).await;
                }
            }

            #[tokio::test]
            async fn a_replay_leaves_other_logins_alone() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::replay_leaves_other_logins_alone(&app).await;
                }
            }

            // Several worker threads, so that the requests really run side by side.
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn two_concurrent_refreshes_with_one_token_make_exactly_one_winner() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::one_winner_of_concurrent_refreshes(&app, &app, 8).await;
                }
            }

            #[tokio::test]
            async fn what_is_no_refresh_token_is_refused() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::what_is_no_refresh_token_is_refused(&app).await;
                }
            }

            #[tokio::test]
            async fn logout_revokes_the_family() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::logout_revokes_the_family(&app).await;
                }
            }

            #[tokio::test]
            async fn logout_leaves_another_users_refresh_token_alone() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::logout_leaves_another_users_refresh_token_alone(&app).await;
                }
            }

            #[tokio::test]
            async fn demotion_revokes_refresh_and_denied_logins() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::demotion_revokes_every_login(&app).await;
                }
            }

            // Several worker threads, so that refresh and logout really run side by side.
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_revocation_racing_rotations_leaves_no_live_token() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::revocation_racing_rotation(&app, 40).await;
                }
            }

            #[tokio::test]
            async fn a_family_cannot_be_refreshed_past_its_absolute_lifetime() {
                let extra = ["--refresh-family-ttl", "3s"];
                if let Some((_keep, app)) = super::$backend(&extra).await {
                    rules::family_lifetime_is_absolute(&app, 3).await;
                }
            }

            #[tokio::test]
            async fn logout_with_another_login_of_ones_own_revokes_that_family_too() {
                if let Some((_keep, app)) = super::$backend(&[]).await {
                    rules::logout_revokes_the_family_of_the_refresh_token_sent(&app).await;
                }
            }
        }
    };
}

/// The refresh TTL, then `extra`.
fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--refresh-ttl", REFRESH_TTL];
    args.extend_from_slice(extra);
    args
}

async fn sqlite(extra: &[&str]) -> Option<((), TestApp)> {
    Some(((), spawn_app(&args(extra)).await))
}

async fn postgres(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::Postgres, &args(extra)).await
}

async fn mariadb(extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    spawn_app_on(Kind::MySql, &args(extra)).await
}

async fn redis(extra: &[&str]) -> Option<(Prefix, TestApp)> {
    let keys = Prefix::new(&shared_redis_url().await?);
    let app = spawn_app(&keys.args(extra)).await;
    Some((keys, app))
}

refresh_store_suite!(sqlite);
refresh_store_suite!(postgres);
refresh_store_suite!(mariadb);
refresh_store_suite!(redis);

/// The rules themselves; the Redis tests run some across two instances.
pub mod rules {
    use super::*;

    pub async fn rotation(app: &TestApp) {
        let (_, first) = app.user("rotate").await;

        let res = app.refresh(&first.refresh).await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert_eq!(body["refresh_expires_in"], REFRESH_TTL_SECS);
        let second = TokenPair {
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

    /// A spent refresh token presented again answers `invalid_grant` and
    /// kills the newest token of its family too.
    pub async fn replay_revokes_the_family(app: &TestApp) {
        let (_, first) = app.user("replay").await;
        let second = token_pair(app.refresh(&first.refresh).await).await;

        // An attacker (or a confused client) presents the spent token again.
        let body = expect_invalid_grant(app.refresh(&first.refresh).await).await;
        assert!(
            body["message"].as_str().unwrap().contains("already used"),
            "{body}"
        );
        // The newest token of the family dies with it: whoever holds it must
        // log in again.
        expect_invalid_grant(app.refresh(&second.refresh).await).await;
    }

    pub async fn replay_leaves_other_logins_alone(app: &TestApp) {
        let (email, first) = app.user("families").await;
        let other = app.login(&email).await;
        let _ = token_pair(app.refresh(&first.refresh).await).await;
        expect_invalid_grant(app.refresh(&first.refresh).await).await;

        assert_eq!(app.refresh(&other.refresh).await.status(), StatusCode::OK);
    }

    /// Two refreshes racing with one token: exactly one 200, and the loser,
    /// indistinguishable from a replay, revokes the family. Odd rounds race
    /// `a` against `b` (pass `a` twice for one instance), so that with two
    /// instances the race is between two pools, as between two hosts.
    pub async fn one_winner_of_concurrent_refreshes(a: &TestApp, b: &TestApp, rounds: u32) {
        let (email, _) = a.user("race").await;
        for round in 0..rounds {
            let tokens = a.login(&email).await;
            let second = if round % 2 == 0 { a } else { b };
            let (x, y) = tokio::join!(a.refresh(&tokens.refresh), second.refresh(&tokens.refresh));
            let mut statuses = [x.status(), y.status()];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::UNAUTHORIZED],
                "round {round}"
            );
            let (winner, loser) = if x.status() == StatusCode::OK {
                (x, y)
            } else {
                (y, x)
            };
            expect_invalid_grant(loser).await;
            // The loser looks exactly like a replay of a spent token, so it
            // revokes the family: the winner's new refresh token is dead too.
            let winner = token_pair(winner).await;
            expect_invalid_grant(b.refresh(&winner.refresh).await).await;
        }
    }

    pub async fn what_is_no_refresh_token_is_refused(app: &TestApp) {
        let (_, tokens) = app.user("confused").await;
        // Unknown, malformed, an access token: refused alike.
        for bad in ["not-a-refresh-token", &"x".repeat(4000), &tokens.access] {
            expect_invalid_grant(app.refresh(bad).await).await;
        }
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
        // None of that touched the real token.
        assert_eq!(app.refresh(&tokens.refresh).await.status(), StatusCode::OK);
    }

    /// Logout without a body still revokes the family of its access token.
    pub async fn logout_revokes_the_family(app: &TestApp) {
        let (_, tokens) = app.user("logout").await;
        assert_eq!(
            app.logout(&tokens.access, None).await.status(),
            StatusCode::NO_CONTENT
        );
        expect_invalid_grant(app.refresh(&tokens.refresh).await).await;
    }

    /// Someone else's refresh token in the body is not the caller's to
    /// revoke; the caller's own family goes as always.
    pub async fn logout_leaves_another_users_refresh_token_alone(app: &TestApp) {
        let (_, mallory) = app.user("mallory").await;
        let (_, alice) = app.user("alice").await;
        let res = app
            .logout(
                &mallory.access,
                Some(json!({"refresh_token": alice.refresh})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.refresh(&alice.refresh).await.status(), StatusCode::OK);
        expect_invalid_grant(app.refresh(&mallory.refresh).await).await;
    }

    /// The refresh token of another login of one's own, sent with a logout,
    /// revokes that family as well.
    pub async fn logout_revokes_the_family_of_the_refresh_token_sent(app: &TestApp) {
        let (email, first) = app.user("two-logins").await;
        let second = app.login(&email).await;
        assert_eq!(
            app.logout(
                &second.access,
                Some(json!({"refresh_token": first.refresh}))
            )
            .await
            .status(),
            StatusCode::NO_CONTENT
        );
        for gone in [&first.refresh, &second.refresh] {
            expect_invalid_grant(app.refresh(gone).await).await;
        }
    }

    /// A demotion (admin -> user) ends every login of the demoted user: no
    /// refresh family of theirs refreshes again, so the stale `admin` claim
    /// cannot be renewed. Its access tokens keep the stale claim until they
    /// expire (the lesson) unless a denylist is on, which denies their logins.
    pub async fn demotion_revokes_every_login(app: &TestApp) {
        let admin = test_support::unique_email("boss");
        app.register(&admin).await;
        test_support::operator::set_role(app, &admin, "admin").await;
        let boss = app.login(&admin).await;
        let (email, _) = app.user("deputy").await;
        let res = app.set_role(&boss.access, &email, "admin").await;
        assert_eq!(res.status(), StatusCode::OK);
        let first = app.login(&email).await;
        let rotated = token_pair(app.refresh(&first.refresh).await).await;
        let second = app.login(&email).await;
        assert_eq!(claims(&second.access)["role"], "admin");

        let res = app.set_role(&boss.access, &email, "user").await;
        assert_eq!(res.status(), StatusCode::OK);

        for refresh in [&rotated.refresh, &second.refresh] {
            expect_invalid_grant(app.refresh(refresh).await).await;
        }
        for access in [&first.access, &rotated.access, &second.access] {
            let res = app.get("/admin", Some(access)).await;
            if app.denylist_on() {
                expect_invalid_token(res).await;
            } else {
                // The stale role claim, on purpose: no lookup, no news.
                assert_eq!(res.status(), StatusCode::OK);
            }
        }
        // Nothing else changed: the boss and a new login of the deputy work.
        assert_eq!(
            app.get("/admin", Some(&boss.access)).await.status(),
            StatusCode::OK
        );
        let fresh = app.login(&email).await;
        assert_eq!(claims(&fresh.access)["role"], "user");
        assert_eq!(
            app.get("/protected", Some(&fresh.access)).await.status(),
            StatusCode::OK
        );
        assert_eq!(app.refresh(&fresh.refresh).await.status(), StatusCode::OK);
    }

    /// A logout (a family revocation) racing a rotation of the same family,
    /// `rounds` times: whichever wins, the family is dead afterwards. A
    /// successor that the revocation did not see would refresh here.
    pub async fn revocation_racing_rotation(app: &TestApp, rounds: u32) {
        let (email, _) = app.user("revoke-race").await;
        let mut rotated = 0;
        for round in 0..rounds {
            let tokens = app.login(&email).await;
            let (refresh, logout) = tokio::join!(
                app.refresh(&tokens.refresh),
                app.logout(&tokens.access, None)
            );
            assert_eq!(logout.status(), StatusCode::NO_CONTENT, "round {round}");
            if refresh.status() == StatusCode::OK {
                rotated += 1;
                let successor = token_pair(refresh).await;
                let res = app.refresh(&successor.refresh).await;
                assert_eq!(
                    res.status(),
                    StatusCode::UNAUTHORIZED,
                    "round {round}: the successor of a revoked family refreshed"
                );
                expect_invalid_grant(res).await;
            } else {
                expect_invalid_grant(refresh).await;
            }
        }
        eprintln!("{rotated} of {rounds} rotations won against their revocation");
    }

    /// However often a family rotates, it ends `ttl_secs` after its login.
    pub async fn family_lifetime_is_absolute(app: &TestApp, ttl_secs: u64) {
        use std::time::{Duration, Instant};
        let (_, first) = app.user("lifetime").await;
        let start = Instant::now();
        let end = Duration::from_secs(ttl_secs);
        // A second of slack either side: the server counts whole seconds.
        let slack = Duration::from_secs(1);
        let mut current = first;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let res = app.refresh(&current.refresh).await;
            let elapsed = start.elapsed();
            let must_live = elapsed + slack < end;
            if !must_live && (elapsed > end + slack || res.status() != StatusCode::OK) {
                expect_invalid_grant(res).await;
                return;
            }
            let (status, body) = json(res).await;
            assert_eq!(status, StatusCode::OK, "after {elapsed:?}: {body}");
            assert!(
                body["refresh_expires_in"].as_u64().unwrap() <= ttl_secs,
                "a successor never outlives its family: {body}"
            );
            current = TokenPair {
                access: body["access_token"].as_str().unwrap().to_owned(),
                refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            };
        }
    }
}
