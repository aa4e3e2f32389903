//! What one login costs before anything else: a bcrypt verify at cost 10,
//! 11 and 12 (each step doubles it). `cargo bench -p auth-core` (or `just micro`).

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};

fn bcrypt_costs(c: &mut Criterion) {
    let mut group = c.benchmark_group("bcrypt verify");
    // A quarter of a second per sample at cost 12: few samples, enough time.
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for cost in [10, 11, 12] {
        let hash = bcrypt::hash("correct horse battery", cost).expect("bcrypt hashes");
        group.bench_function(format!("cost {cost}"), |b| {
            b.iter(|| bcrypt::verify(black_box("correct horse battery"), &hash))
        });
    }
    group.finish();
}

criterion_group!(benches, bcrypt_costs);
criterion_main!(benches);
