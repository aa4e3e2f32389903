//! The Redis stores against a real Redis over real HTTP: two instances that
//! share revocation, the TTLs Redis holds, the refresh race, /health and the
//! counts. Each test writes under a prefix of its own, removed at the end.
//! Without a reachable Redis the tests are skipped loudly, except under
//! `CI=true`, where they fail (see `test_support::redis`).

use std::collections::HashMap;

use auth_core::redis::fred::{
    clients::Client,
    interfaces::{HashesInterface, KeysInterface},
};
use jwt_app::RefreshToken;
use reqwest::StatusCode;
use test_support::{json, redis::shared_redis_url};

use crate::{
    helpers::{
        Prefix, REFRESH_TTL_SECS, challenge, claims, expect_invalid_grant, expect_invalid_token,
        inspector, now, spawn_app, token_pair,
    },
    refresh::rules,
};

/// The machine's Redis and a fresh prefix on it; `None` = skipped.
async fn redis() -> Option<Prefix> {
    shared_redis_url().await.map(|url| Prefix::new(&url))
}

/// The hash a refresh token's key is named by.
fn refresh_hash(token: &str) -> String {
    RefreshToken::parse(token).expect("a refresh token").hash()
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
    // Logging out again on B ends nothing more, and is no error (RFC 7009).
    assert_eq!(
        b.logout(&tokens.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    // The family went with it, on B too.
    expect_invalid_grant(b.refresh(&tokens.refresh).await).await;

    // Only that login: the one made on B is untouched.
    assert_eq!(
        a.get("/protected", Some(&other.access)).await.status(),
        StatusCode::OK
    );
}

/// A guesser spreading its tries over the instances behind one address gets
/// no more than one instance's worth: the counts live in the shared Redis.
#[tokio::test]
async fn guesses_spread_over_instances_share_one_throttle() {
    let Some(redis) = redis().await else { return };
    let a = spawn_app(&redis.args(&[])).await;
    let b = a.sibling().await;
    let (email, _) = a.user("spread").await;
    for n in 0..5 {
        let app = if n % 2 == 0 { &a } else { &b };
        let res = test_support::login(&app.client, &app.server, &email, "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    for app in [&a, &b] {
        let res = test_support::login(&app.client, &app.server, &email, "wrong password").await;
        test_support::expect_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    }
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
    let body = expect_invalid_grant(a.refresh(&first.refresh).await).await;
    assert!(
        body["message"].as_str().unwrap().contains("already used"),
        "{body}"
    );
    // The newest token of the family fails on B.
    expect_invalid_grant(b.refresh(&third.refresh).await).await;
}

// Several worker threads, so that the requests really run side by side; and
// two instances, so that the race is between two pools, as between two hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_refreshes_with_one_token_make_exactly_one_winner() {
    let Some(redis) = redis().await else { return };
    let a = spawn_app(&redis.args(&[])).await;
    let b = a.sibling().await;
    rules::one_winner_of_concurrent_refreshes(&a, &b, 10).await;
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
    let first_key = redis.key("rt", &refresh_hash(&first.refresh));

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
    let second_key = redis.key("rt", &refresh_hash(&second.refresh));
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

#[tokio::test]
async fn store_stats_count_the_keys_under_the_prefix() {
    let Some(redis) = redis().await else { return };
    let app = spawn_app(&redis.args(&["--store-stats"])).await;
    assert_eq!(app.store_stats().await["entries"], 0);

    let (_, first) = app.user("redis-stats").await;
    let s = app.store_stats().await;
    assert_eq!(s["store"], "redis");
    // The token's record, the user's set of families and the family's login
    // record ("your logins").
    assert_eq!(s["parts"]["refresh_tokens"]["entries"], 3, "{s}");
    // Key names (prefix, `rt:`, 64 hex) plus fields, values and the family id.
    let one = s["parts"]["refresh_tokens"]["bytes"].as_i64().unwrap();
    assert!(one > 64 + 36 + 36, "{s}");

    // Rotation keeps the spent record and adds one.
    let second = token_pair(app.refresh(&first.refresh).await).await;
    assert_eq!(
        app.store_stats().await["parts"]["refresh_tokens"]["entries"],
        4
    );

    // Logout: the denied jti and login (sid), and the family's revocation flag.
    assert_eq!(
        app.logout(&second.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let s = app.store_stats().await;
    assert_eq!(s["parts"]["denylist"]["entries"], 2, "{s}");
    let jti = claims(&second.access)["jti"].as_str().unwrap().len() as i64;
    let sid = "sid:".len() as i64 + claims(&second.access)["sid"].as_str().unwrap().len() as i64;
    let deny_key = redis.key("deny", "").len() as i64;
    assert_eq!(
        s["parts"]["denylist"]["bytes"],
        (deny_key + jti + 1) + (deny_key + sid + 1),
        "key names and the values `1`: {s}"
    );
    assert_eq!(s["parts"]["refresh_tokens"]["entries"], 5, "{s}");
    assert_eq!(s["entries"], 7);
}
