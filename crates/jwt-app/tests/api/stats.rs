//! What the server keeps per logged-in user, asked of its stores.

use reqwest::StatusCode;

use crate::helpers::{SECRET, spawn_app, token_pair};

#[tokio::test]
async fn refresh_rows_and_denylist_entries_are_counted() {
    let app = spawn_app(&["--store-stats", "--denylist", "memory"]).await;
    assert_eq!(app.store_stats().await["entries"], 0);
    let (_, first) = app.user("stats").await;
    app.user("stats").await;
    let s = app.store_stats().await;
    assert_eq!(
        s["parts"]["refresh_tokens"]["entries"], 4,
        "a token row and a family row per login: {s}"
    );
    assert!(s["bytes"].as_i64().unwrap() > 64, "{s}");

    // Rotation keeps the spent row (replay detection needs it) and adds one;
    // the family stays one row.
    let rotated = token_pair(app.refresh(&first.refresh).await).await;
    assert_eq!(
        app.store_stats().await["parts"]["refresh_tokens"]["entries"],
        5
    );

    assert_eq!(
        app.logout(&rotated.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let s = app.store_stats().await;
    assert_eq!(
        s["parts"]["denylist"]["entries"], 2,
        "the logged-out jti and its login's sid are held: {s}"
    );
    assert_eq!(s["entries"], 7);
}

/// The writes requests make, as the app counts them at its stores: a login
/// and a refresh one each, the bearer check none (a read, with or without a
/// denylist), a logout its family's revocation and the denial of its `sid`.
async fn writes_per_request(extra: &[&str], logout_writes: u64) {
    let app = spawn_app(&[&["--store-stats"][..], extra].concat()).await;
    let writes = async || app.store_stats().await["writes"].as_u64().expect("writes");
    assert_eq!(writes().await, 0, "a new server");
    let (_, tokens) = app.user("writes").await;
    assert_eq!(writes().await, 1, "a login starts a refresh family");
    for _ in 0..20 {
        let res = app.get("/protected", Some(&tokens.access)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(writes().await, 1, "an access token's check writes nothing");
    let rotated = token_pair(app.refresh(&tokens.refresh).await).await;
    assert_eq!(writes().await, 2, "a refresh rotates");
    assert_eq!(
        app.logout(&rotated.access, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(writes().await, 2 + logout_writes, "a logout");
}

#[tokio::test]
async fn writes_are_counted_without_a_denylist() {
    writes_per_request(&[], 1).await;
}

#[tokio::test]
async fn writes_are_counted_with_the_memory_denylist() {
    // The family revoked, its `sid` denied, the presented `jti` denied.
    writes_per_request(&["--denylist", "memory"], 3).await;
}

#[tokio::test]
async fn stats_are_off_by_default() {
    let app = spawn_app(&[]).await;
    assert_eq!(
        app.get("/debug/store", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// Expired refresh rows are swept out (every `min(REFRESH_TTL, 10 min)`),
/// so the table does not grow with every login forever.
#[tokio::test]
async fn expired_refresh_tokens_are_deleted() {
    let app = spawn_app(&["--store-stats", "--refresh-ttl", "1s"]).await;
    app.user("sweep").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows = app.store_stats().await["parts"]["refresh_tokens"]["entries"]
            .as_i64()
            .unwrap();
        if rows == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{rows} expired rows still held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// `/debug/store` answers anyone who can reach it: it must not be reachable
/// from other hosts, so a non-loopback bind with it is refused at start.
#[tokio::test]
async fn store_stats_refuse_a_non_loopback_bind() {
    let data_dir = test_support::data_dir();
    for bind in ["0.0.0.0", "192.0.2.1", "::"] {
        let args = ["--jwt-secret", SECRET, "--store-stats", "--bind", bind].map(String::from);
        let config = crate::helpers::config(data_dir.path(), &args).unwrap();
        let Err(e) = jwt_app::app(config).await else {
            panic!("/debug/store started on {bind}");
        };
        let message = format!("{e:#}");
        assert!(message.contains("loopback"), "{bind}: {message}");
    }
    // Loopback is fine, and so is a public bind without the stats.
    for args in [
        ["--store-stats", "--bind", "127.0.0.1"],
        ["--bind", "0.0.0.0", "--port=0"],
    ] {
        let mut args = args.map(String::from).to_vec();
        args.extend(["--jwt-secret", SECRET].map(String::from));
        let config = crate::helpers::config(data_dir.path(), &args).unwrap();
        assert!(jwt_app::app(config).await.is_ok(), "{args:?}");
    }
}

/// Issue 21: behind a proxy (TRUST_PROXY, or COOKIE_SECURE: a TLS proxy in
/// front) a loopback BIND is reached by everyone the proxy serves, so the
/// debug route and the unsafe switch are refused, in both transports, with
/// one line naming the setting; and `/debug/store` answers only a loopback
/// `Host`.
#[tokio::test]
async fn debug_and_unsafe_flags_are_refused_behind_a_proxy() {
    let data_dir = test_support::data_dir();
    for flag in ["--store-stats", "--unsafe-disable-csrf-check"] {
        for transport in ["header", "cookie"] {
            for (proxy, named) in [
                (&["--trust-proxy", "127.0.0.1"][..], "TRUST_PROXY"),
                (&["--cookie-secure"][..], "COOKIE_SECURE"),
            ] {
                let mut args: Vec<String> = ["--jwt-secret", SECRET, flag, "--token-transport"]
                    .into_iter()
                    .chain([transport])
                    .chain(proxy.iter().copied())
                    .map(String::from)
                    .collect();
                args.push("--port=0".into());
                let config = crate::helpers::config(data_dir.path(), &args).unwrap();
                let Err(e) = jwt_app::app(config).await else {
                    panic!("jwt-app started with {args:?}");
                };
                let message = format!("{e:#}");
                assert!(
                    message.contains(named) && message.lines().count() == 1,
                    "{args:?}: {message}"
                );
            }
        }
    }
}

#[tokio::test]
async fn debug_store_answers_a_loopback_host_only() {
    let app = spawn_app(&["--store-stats"]).await;
    let c = test_support::client();
    let get = |host: &str| {
        c.get(app.url("/debug/store"))
            .header(reqwest::header::HOST, host)
            .send()
    };
    let port = app.server.addr.port();
    assert_eq!(
        get(&format!("localhost:{port}")).await.unwrap().status(),
        StatusCode::OK
    );
    let res = get("app.example.com").await.unwrap();
    test_support::expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
}
