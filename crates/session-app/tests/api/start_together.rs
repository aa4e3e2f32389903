//! Eight servers, session-app and jwt-app mixed, started at the same moment
//! on one fresh database (issue 13): exactly one of them migrates, the others
//! wait for it, and every one of them serves.

use futures::future::join_all;
use sqlx::Row;
use test_support::databases::{Kind, TestDatabase};

use crate::processes::{self, Server};

const SERVERS: usize = 8;

#[tokio::test]
async fn eight_servers_start_together_on_one_sqlite_file() {
    // No DATABASE_URL: the default file in the shared data folder, as servers
    // started from one folder (two terminals, `just up`) share it.
    let dir = test_support::data_dir();
    let url = format!("sqlite://{}", dir.path().join("auth.db").display());
    start_together(dir.path(), None, &url).await;
}

#[tokio::test]
async fn eight_servers_start_together_on_one_postgres_database() {
    on_server(Kind::Postgres).await;
}

#[tokio::test]
async fn eight_servers_start_together_on_one_mariadb_database() {
    on_server(Kind::MySql).await;
}

async fn on_server(kind: Kind) {
    let Some(db) = TestDatabase::create(kind).await else {
        return;
    };
    let dir = test_support::data_dir();
    start_together(dir.path(), Some(db.url()), db.url()).await;
}

/// Starts the eight on `database_url` (the default file in `dir` if `None`),
/// checks that each answers /health, then that `url` records each
/// migration once.
async fn start_together(dir: &std::path::Path, database_url: Option<&str>, url: &str) {
    let (session, jwt) = (processes::session_app(), processes::jwt_app());
    let data_dir = dir.display().to_string();
    let mut servers: Vec<Server> = (0..SERVERS)
        .map(|i| {
            let mut env = vec![("DATA_DIR", data_dir.as_str())];
            if let Some(url) = database_url {
                env.push(("DATABASE_URL", url));
            }
            if i % 2 == 0 {
                // Half of them keep their sessions in the database too: the
                // session table is created at start-up as well.
                if i % 4 == 0 {
                    env.push(("SESSION_STORE", "db"));
                }
                Server::spawn(&format!("session-app-{i}"), &session, &env, dir)
            } else {
                Server::spawn(&format!("jwt-app-{i}"), &jwt, &env, dir)
            }
        })
        .collect();
    let addresses = join_all(servers.iter_mut().map(Server::address)).await;
    let client = reqwest::Client::new();
    for (server, address) in servers.iter().zip(&addresses) {
        let health = client
            .get(format!("{address}/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} at {address}: {e}", server.name));
        assert_eq!(health.status(), 200, "{} at {address}", server.name);
    }

    let db = auth_core::Database::connect(url).await.unwrap();
    let versions: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut distinct = versions.clone();
    distinct.dedup();
    assert_eq!(versions, distinct, "a migration was recorded twice");
    assert!(versions.starts_with(&[1]), "{versions:?}");
}
