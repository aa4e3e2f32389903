//! One session load per store, as the session layer does it on every
//! request that reads the session: `SessionStore::load` of a live record.
//! `cargo bench -p session-app` (or `just micro`). The Redis store uses
//! REDIS_URL, else a private redis-server, else is left out.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use session_app::store::{DbSessions, MemorySessions, RedisSessions};
use tower_sessions::{
    SessionStore,
    cookie::time::{Duration, OffsetDateTime},
    session::{Id, Record},
};

fn record() -> Record {
    Record {
        id: Id::default(),
        data: [(
            "user".to_owned(),
            json!({"id": 42, "email": "bench@example.com"}),
        )]
        .into_iter()
        .collect(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    }
}

fn bench_load<S: SessionStore>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
) {
    let mut record = record();
    rt.block_on(store.create(&mut record))
        .expect("the store takes a record");
    let id = record.id;
    c.bench_function(&format!("session load ({name})"), |b| {
        b.to_async(rt)
            .iter(|| async { store.load(black_box(&id)).await })
    });
}

fn stores(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    bench_load(c, &rt, "memory", &MemorySessions::default());

    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let sqlite = rt.block_on(async {
        let db = auth_core::Database::connect(&url).await?;
        DbSessions::open(&db).await
    });
    match sqlite {
        Ok(store) => bench_load(c, &rt, "sqlite", &store),
        Err(e) => eprintln!("SKIPPED: session load (sqlite): {e:#}"),
    }

    let redis = rt.block_on(contract_client::redis::url_or_private());
    let Some((url, _server)) = redis else {
        eprintln!("SKIPPED: session load (redis): no Redis (REDIS_URL or redis-server)");
        return;
    };
    match rt.block_on(RedisSessions::connect(&url, "bench:session:")) {
        Ok(sessions) => bench_load(c, &rt, "redis", &sessions.store()),
        Err(e) => eprintln!("SKIPPED: session load (redis): {e:#}"),
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
