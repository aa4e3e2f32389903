use reqwest::StatusCode;
use test_support::{client, contract::new_user};

use crate::helpers::{spawn_app, start_in};

async fn replay_after_restart(store: &str) -> StatusCode {
    let app = spawn_app(&["--session-store", store]).await;
    let (_, cred) = new_user(&app.server, "restart").await;
    app.server.stop().await;
    let again = start_in(app.dir.path(), &["--session-store", store]).await;
    cred.attach(client().get(again.url("/protected"))).send().await.unwrap().status()
}

#[tokio::test]
async fn sessions_survive_a_restart_only_in_the_database() {
    assert_eq!(replay_after_restart("db").await, StatusCode::OK, "db sessions are on disk");
    assert_eq!(replay_after_restart("memory").await, StatusCode::UNAUTHORIZED, "memory sessions die with the process");
}
