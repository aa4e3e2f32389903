//! The Redis stores against a real Redis over real HTTP: two instances that
//! share revocation, the TTLs Redis holds, the refresh race, /health and the
//! counts. Each test writes under a prefix of its own, removed at the end.
//! Without a reachable Redis the tests are skipped loudly, except under
//! `CI=true`, where they fail (see `test_support::redis`).

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use auth_core::redis::fred::{
    clients::Client,
    interfaces::{ClientLike, HashesInterface, KeysInterface},
    types::config::Config as FredConfig,
};
use jwt_app::refresh_tokens::hash_token;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::{expect_error, json, redis::shared_redis_url};

use crate::helpers::{
    TestApp, challenge, claims, expect_invalid_token, now, spawn_app, token_pair,
};

/// The refresh TTL the Redis tests run with: short, so that what a killed
/// test run leaves behind goes soon, and long enough for any test.
pub const REFRESH_TTL_SECS: i64 = 600;

/// A key prefix no other test uses; its keys are deleted when dropped
/// (also when the test fails), so the machine's Redis is left clean.
pub struct Prefix {
    pub url: String,
    pub prefix: String,
}

impl Prefix {
    pub fn new(url: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        Self {
            url: url.to_owned(),
            prefix: format!(
                "auth-compare:test:jwt:{}-{}-{}:",
                std::process::id(),
                now(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    /// jwt-app arguments for both Redis stores under this prefix, plus `extra`.
    pub fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--denylist",
            "redis",
            "--refresh-store",
            "redis",
            "--redis-url",
            &self.url,
            "--redis-prefix",
            &self.prefix,
            "--refresh-ttl",
            "10m",
        ];
        args.extend_from_slice(extra);
        args
    }

    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let (url, pattern) = (self.url.clone(), format!("{}*", self.prefix));
        // `Drop` cannot await, and blocking the test's runtime could deadlock
        // it: clean up from a thread with a runtime of its own (bounded).
        let cleaner = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let work = async {
                    let client = inspector(&url).await?;
                    let mut cursor = "0".to_owned();
                    loop {
                        let (next, keys): (String, Vec<String>) = client
                            .scan_page(cursor, pattern.as_str(), Some(1_000), None)
                            .await?;
                        if !keys.is_empty() {
                            let _: i64 = client.del(keys).await?;
                        }
                        if next == "0" {
                            break;
                        }
                        cursor = next;
                    }
                    client.quit().await
                };
                match tokio::time::timeout(Duration::from_secs(5), work).await {
                    Ok(result) => result.map_err(|e| e.to_string()),
                    Err(_) => Err("no answer within 5 s".to_owned()),
                }
            })
        });
        match cleaner.join() {
            Ok(Ok(())) => {}
            // Killed with the test's own redis-server, or already gone: the
            // keys carry TTLs anyway.
            Ok(Err(e)) => eprintln!("note: could not delete the test keys {}: {e}", self.prefix),
            Err(_) => eprintln!("note: the thread deleting test keys panicked"),
        }
    }
}

/// A client of our own to look at keys as an operator would, apart from the
/// pool of the server under test.
pub async fn inspector(url: &str) -> Result<Client, auth_core::redis::fred::error::Error> {
    let client = Client::new(FredConfig::from_url(url)?, None, None, None);
    client.init().await?;
    Ok(client)
}

/// The machine's Redis and a fresh prefix on it; `None` = skipped.
async fn redis() -> Option<Prefix> {
    shared_redis_url().await.map(|url| Prefix::new(&url))
}

async fn pttl(client: &Client, key: &str) -> i64 {
    client.pttl(key).await.unwrap()
}

// ---------------------------------------------------------------- two instances

#[tokio::test]
async fn a_logout_on_one_instance_is_enforced_by_the_other_at_once() {
    let Some(redis) = redis().await else { return };
    let a = spawn_app(&redis.args(&[])).await;
    let b = a.sibling().await;
    let (email, tokens) = a.user("shared-deny").await;
    let other = b.login(&email).await;
    assert_eq!(
        b.get("/protected", Some(&tokens.access)).await.status(),
        StatusCode::OK,
        "B accepts A's token: same key"
    );

    assert_eq!(
        a.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = b.get("/protected", Some(&tokens.access)).await;
    assert!(challenge(&res).contains("revoked"), "{}", challenge(&res));
    expect_invalid_token(res).await;
    expect_invalid_token(b.logout(&tokens.access, None).await).await;
    // The family went with it, on B too.
    expect_error(
        b.refresh(&tokens.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;

    // Only that login: the one made on B is untouched.
    assert_eq!(
        a.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_refresh_replay_on_one_instance_revokes_the_family_on_the_other() {
    let Some(redis) = redis().await else { return };
    let a = spawn_app(&redis.args(&[])).await;
    let b = a.sibling().await;
    let (_, first) = a.user("shared-family").await;

    // Rotation on B spends the token A issued: one store.
    let second = token_pair(b.refresh(&first.refresh).await).await;
    let third = token_pair(a.refresh(&second.refresh).await).await;

    // The spent first token comes back, on A.
    let body = expect_error(
        a.refresh(&first.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    assert!(
        body["message"].as_str().unwrap().contains("already used"),
        "{body}"
    );
    // The newest token of the family fails on B.
    expect_error(
        b.refresh(&third.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
}

// Several worker threads, so that the requests really run side by side; and
// two instances, so that the race is between two pools, as between two hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_refreshes_with_one_token_make_exactly_one_winner() {
    let Some(redis) = redis().await else { return };
    let a = spawn_app(&redis.args(&[])).await;
    let b = a.sibling().await;
    let (email, _) = a.user("redis-race").await;
    for round in 0..10 {
        let tokens = a.login(&email).await;
        // Even rounds race on one instance, odd rounds across both.
        let second = if round % 2 == 0 { &a } else { &b };
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
        expect_error(loser, StatusCode::UNAUTHORIZED, "invalid_grant").await;
        // As with the db store: the loser is a replay, so the family is
        // revoked, the winner's new token included.
        let winner = token_pair(winner).await;
        expect_error(
            b.refresh(&winner.refresh).await,
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
        )
        .await;
    }
}

// ------------------------------------------------------------ the db store's rules

#[tokio::test]
async fn the_refresh_rules_of_the_db_store_hold_on_redis() {
    let Some(redis) = redis().await else { return };
    let app = spawn_app(&redis.args(&[])).await;
    let (email, first) = app.user("redis-rules").await;
    let other = app.login(&email).await;

    let res = app.refresh(&first.refresh).await;
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["refresh_expires_in"], REFRESH_TTL_SECS);
    let second = crate::helpers::TokenPair {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        claims(&second.access)["sid"],
        claims(&first.access)["sid"],
        "a rotation stays in the same family"
    );
    let third = token_pair(app.refresh(&second.refresh).await).await;

    // Replay: the family goes, the newest token too, the other login stays.
    expect_error(
        app.refresh(&second.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    expect_error(
        app.refresh(&third.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;
    let other = token_pair(app.refresh(&other.refresh).await).await;

    // Unknown, malformed, an access token: refused alike.
    for bad in ["not-a-refresh-token", &"x".repeat(4000), &other.access] {
        expect_error(
            app.refresh(bad).await,
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
        )
        .await;
    }

    // Logout with someone else's refresh token leaves it alone, and revokes
    // the caller's own family.
    let (_, mallory) = app.user("redis-mallory").await;
    assert_eq!(
        app.logout(
            &mallory.access,
            Some(json!({"refresh_token": other.refresh}))
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    let other = token_pair(app.refresh(&other.refresh).await).await;
    expect_error(
        app.refresh(&mallory.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
    )
    .await;

    // Logout with the refresh token of another login of one's own revokes
    // that family too.
    let yet_another = app.login(&email).await;
    assert_eq!(
        app.logout(
            &yet_another.access,
            Some(json!({"refresh_token": other.refresh}))
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    for gone in [&other.refresh, &yet_another.refresh] {
        expect_error(
            app.refresh(gone).await,
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
        )
        .await;
    }
}

// ---------------------------------------------------------------- TTLs in Redis

#[tokio::test]
async fn a_denied_jti_expires_in_redis_when_its_token_would() {
    let Some(redis) = redis().await else { return };
    let app = spawn_app(&redis.args(&["--access-ttl", "3m"])).await;
    let inspect = inspector(&redis.url).await.unwrap();
    let (_, tokens) = app.user("deny-ttl").await;
    let claims = claims(&tokens.access);
    let key = redis.key("deny", claims["jti"].as_str().unwrap());
    assert_eq!(pttl(&inspect, &key).await, -2, "no key before the logout");

    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    // Denied until exp + the 5 s leeway verification allows.
    let expected_ms = (claims["exp"].as_i64().unwrap() + 5 - now()) * 1000;
    let ttl = pttl(&inspect, &key).await;
    eprintln!("deny key {key}: PTTL {ttl} ms, expected about {expected_ms} ms");
    assert!(
        (ttl - expected_ms).abs() <= 2_000,
        "PTTL {ttl} ms, expected about {expected_ms} ms"
    );
    assert!(
        ttl <= 185_000,
        "never longer than the access TTL + leeway: {ttl}"
    );
}

#[tokio::test]
async fn refresh_records_and_revocations_carry_ttls() {
    let Some(redis) = redis().await else { return };
    let app = spawn_app(&redis.args(&[])).await;
    let inspect = inspector(&redis.url).await.unwrap();
    let full = REFRESH_TTL_SECS * 1000;
    let (email, first) = app.user("refresh-ttl").await;
    let first_key = redis.key("rt", &hash_token(&first.refresh));

    let record: HashMap<String, String> = inspect.hgetall(&first_key).await.unwrap();
    let family = claims(&first.access)["sid"].as_str().unwrap().to_owned();
    assert_eq!(record.get("family"), Some(&family), "{record:?}");
    assert_eq!(record.get("spent").map(String::as_str), Some("0"));
    assert!(record.get("user").is_some_and(|u| u.parse::<i64>().is_ok()));
    assert!(
        !record.values().any(|v| v == &first.refresh),
        "the token itself is never stored"
    );
    let ttl = pttl(&inspect, &first_key).await;
    eprintln!("new refresh record: PTTL {ttl} ms of {full}");
    assert!(full - 5_000 < ttl && ttl <= full, "PTTL {ttl}");

    // Rotation: the spent record stays (replay detection needs it) with the
    // expiry it had; the successor gets a full TTL.
    let second = token_pair(app.refresh(&first.refresh).await).await;
    let spent: HashMap<String, String> = inspect.hgetall(&first_key).await.unwrap();
    assert_eq!(spent.get("spent").map(String::as_str), Some("1"));
    let spent_ttl = pttl(&inspect, &first_key).await;
    assert!(0 < spent_ttl && spent_ttl <= ttl, "{spent_ttl} vs {ttl}");
    let second_key = redis.key("rt", &hash_token(&second.refresh));
    let ttl = pttl(&inspect, &second_key).await;
    eprintln!("rotated refresh record: PTTL {ttl} ms, spent one {spent_ttl} ms");
    assert!(full - 5_000 < ttl && ttl <= full, "PTTL {ttl}");

    // A live family has no key; a revoked one a flag that outlives its tokens.
    let family_key = redis.key("fam", &family);
    assert_eq!(pttl(&inspect, &family_key).await, -2);
    let _ = app.refresh(&first.refresh).await;
    let ttl = pttl(&inspect, &family_key).await;
    eprintln!("revoked family flag: PTTL {ttl} ms");
    assert!(full - 5_000 < ttl && ttl <= full, "PTTL {ttl}");

    // Logout revokes the same way.
    let tokens = app.login(&email).await;
    assert_eq!(
        app.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let family_key = redis.key("fam", claims(&tokens.access)["sid"].as_str().unwrap());
    let ttl = pttl(&inspect, &family_key).await;
    assert!(full - 5_000 < ttl && ttl <= full, "PTTL {ttl}");
}

// ---------------------------------------------------------------- health, counts

#[tokio::test]
async fn health_checks_redis_whenever_a_store_lives_there() {
    let Some(redis) = redis().await else { return };
    let url = redis.url.as_str();
    let cases: [(&[&str], &str); 3] = [
        (&["--denylist", "redis"], "redis"),
        (&["--refresh-store", "redis"], "off"),
        (
            &["--denylist", "memory", "--refresh-store", "redis"],
            "memory",
        ),
    ];
    for (args, store) in cases {
        let mut args = args.to_vec();
        args.extend(["--redis-url", url, "--redis-prefix", &redis.prefix]);
        let app = spawn_app(&args).await;
        let res = app.get("/health", None).await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK, "{args:?}: {body}");
        assert_eq!(body["store"], store, "{body}");
        assert_eq!(body["checks"]["redis"], "ok", "{body}");
    }
    // Neither store in Redis: no Redis check (nor connection) at all.
    let app = spawn_app(&["--redis-url", "redis://127.0.0.1:1"]).await;
    let (status, body) = json(app.get("/health", None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["checks"].get("redis"), None, "{body}");
}

async fn stats(app: &TestApp) -> Value {
    let res = app.get("/debug/store", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn store_stats_count_the_keys_under_the_prefix() {
    let Some(redis) = redis().await else { return };
    let app = spawn_app(&redis.args(&["--store-stats"])).await;
    assert_eq!(stats(&app).await["entries"], 0);

    let (_, first) = app.user("redis-stats").await;
    let s = stats(&app).await;
    assert_eq!(s["store"], "redis");
    assert_eq!(s["parts"]["refresh_tokens"]["entries"], 1, "{s}");
    // Key name (prefix, `rt:`, 64 hex) plus fields and values.
    let one = s["parts"]["refresh_tokens"]["bytes"].as_i64().unwrap();
    assert!(one > 64 + 36, "{s}");

    // Rotation keeps the spent record and adds one.
    let second = token_pair(app.refresh(&first.refresh).await).await;
    assert_eq!(stats(&app).await["parts"]["refresh_tokens"]["entries"], 2);

    // Logout: one denied jti, and the family's revocation flag.
    assert_eq!(
        app.logout(&second.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let s = stats(&app).await;
    assert_eq!(s["parts"]["denylist"]["entries"], 1, "{s}");
    let jti = claims(&second.access)["jti"].as_str().unwrap().len() as i64;
    let deny_key = redis.key("deny", "").len() as i64;
    assert_eq!(
        s["parts"]["denylist"]["bytes"],
        deny_key + jti + 1,
        "key name and the value `1`: {s}"
    );
    assert_eq!(s["parts"]["refresh_tokens"]["entries"], 3, "{s}");
    assert_eq!(s["entries"], 4);
}
