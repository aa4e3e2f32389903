use reqwest::StatusCode;
use test_support::{client, contract::new_user};

use crate::helpers::{spawn_app, start_in};

async fn replay_after_restart(store: &str) -> StatusCode {
    let app = spawn_app(&["--session-store", store]).await;
    let (_, cred) = new_user(&app.server, "restart").await;
    app.server.stop().await;
    let again = start_in(app.dir.path(), &["--session-store", store]).await;
    cred.attach(client().get(again.url("/protected")))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn sessions_survive_a_restart_only_in_the_database() {
    assert_eq!(
        replay_after_restart("db").await,
        StatusCode::OK,
        "db sessions are on disk"
    );
    assert_eq!(
        replay_after_restart("memory").await,
        StatusCode::UNAUTHORIZED,
        "memory sessions die with the process"
    );
}

/// What the store holds, asked of the store: one entry per logged-in user, none after logout.
#[tokio::test]
async fn store_stats_count_live_sessions() {
    for store in ["memory", "db"] {
        let app = spawn_app(&["--session-store", store, "--store-stats"]).await;
        let stats = || async {
            client()
                .get(app.server.url("/debug/store"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        };
        assert_eq!(stats().await["entries"], 0, "{store}");
        let (_, a) = new_user(&app.server, "stats").await;
        new_user(&app.server, "stats").await;
        let s = stats().await;
        assert_eq!(s["entries"], 2, "{store}: {s}");
        assert!(s["bytes"].as_i64().unwrap() > 20, "{store}: {s}");
        a.attach(client().post(app.server.url("/logout")))
            .send()
            .await
            .unwrap();
        assert_eq!(stats().await["entries"], 1, "{store}");
    }
    let off = spawn_app(&[]).await;
    assert_eq!(
        client()
            .get(off.server.url("/debug/store"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}
