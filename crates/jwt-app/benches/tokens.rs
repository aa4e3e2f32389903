//! jwt-app's per-request work, one piece at a time: signing and verifying
//! an access token with each algorithm (`Tokens`: jsonwebtoken and our
//! checks around it; the bench's bare servers show jsonwebtoken alone), and one
//! denylist check per store. `cargo bench -p jwt-app` (or `just micro`).
//! The Redis check uses REDIS_URL, else a private redis-server, else is left out.

use std::{hint::black_box, sync::Arc};

use auth_core::{Role, User};
use clap::Parser;
use criterion::{Criterion, criterion_group, criterion_main};
use jwt_app::{
    Config, Denylist, MemoryDenylist, Redis, RedisDenylist, Tokens,
    denylist::{Checked, Denied},
};

fn user() -> User {
    User {
        id: 42,
        email: "bench@example.com".into(),
        password_hash: String::new(),
        role: Role::User,
        created_at: 0,
        logins_epoch: 0,
    }
}

fn tokens(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data_dir = dir.path().to_string_lossy().into_owned();
    for alg in ["HS256", "EdDSA"] {
        let config = Config::try_parse_from(["jwt-app", "--jwt-alg", alg, "--data-dir", &data_dir])
            .expect("the bench's flags parse");
        let tokens = Tokens::from_config(&config).expect("keys in a fresh folder");
        let user = user();
        c.bench_function(&format!("{alg} sign (Tokens::issue)"), |b| {
            b.iter(|| tokens.issue(black_box(&user), "family"))
        });
        let token = tokens.issue(&user, "family").expect("a token").token;
        c.bench_function(&format!("{alg} verify (Tokens::verify)"), |b| {
            b.iter(|| tokens.verify(black_box(&token)))
        });
    }
}

fn denylists(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let until = auth_core::unix_now() + 900;
    // The token every check asks about: its jti, login, user and `iat`.
    let token = Checked {
        jti: "a-jti",
        sid: "a-sid",
        user_id: 1,
        iat: auth_core::unix_now(),
    };
    let memory = Arc::new(MemoryDenylist::default());
    // A denylist of 10 000 logouts: a busy quarter of an hour.
    rt.block_on(async {
        for i in 0..10_000 {
            let _ = memory.deny(Denied::Token(&format!("jti-{i}")), until).await;
        }
    });
    c.bench_function("denylist check (memory, 10k entries)", |b| {
        b.to_async(&rt)
            .iter(|| async { memory.is_denied(black_box(&token)).await })
    });
    let redis = rt.block_on(contract_client::redis::url_or_private());
    let Some((url, _server)) = redis else {
        eprintln!("SKIPPED: denylist check (redis): no Redis (REDIS_URL or redis-server)");
        return;
    };
    let prefix = format!("bench:{}:", std::process::id());
    let list = rt
        .block_on(Redis::connect(&url, &prefix, "the bench"))
        .map(RedisDenylist::new)
        .expect("Redis answers");
    c.bench_function("denylist check (redis, one round trip)", |b| {
        b.to_async(&rt)
            .iter(|| async { list.is_denied(black_box(&token)).await })
    });
    let _ = contract_client::redis::delete_prefix(&url, &prefix);
}

criterion_group!(benches, tokens, denylists);
criterion_main!(benches);
