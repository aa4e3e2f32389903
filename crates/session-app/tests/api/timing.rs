//! A timing oracle after a cost change (issue 21): an account hashed before
//! BCRYPT_COST was raised must not answer a wrong password faster than an
//! unknown email does, or the time tells that the account exists. Measured
//! as a ratio of medians, never against the clock: machines are noisy.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use test_support::{PASSWORD, TestServer, client, login, register, unique_email};

use crate::helpers::start_in;

/// No throttle: the repetitions must all reach bcrypt.
const NO_LIMITS: &[&str] = &[
    "--login-max-failures",
    "0",
    "--login-max-failures-per-email",
    "0",
    "--login-max-failures-per-address",
    "0",
];

async fn median_login_time(server: &TestServer, email: impl Fn(usize) -> String) -> Duration {
    let c = client();
    let mut times = Vec::new();
    for n in 0..5 {
        let started = Instant::now();
        let res = login(&c, server, &email(n), "wrong password").await;
        times.push(started.elapsed());
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    times.sort();
    times[times.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_after_a_cost_change_takes_as_long_as_an_unknown_email() {
    let dir = test_support::data_dir();
    // Registered at cost 4; the server then runs at cost 8 (16 times the work).
    let before = start_in(dir.path(), NO_LIMITS).await;
    let email = unique_email("cheap-hash");
    assert_eq!(
        register(&client(), &before, &email, PASSWORD)
            .await
            .status(),
        StatusCode::CREATED
    );
    before.stop().await;
    let after = start_in(dir.path(), &[NO_LIMITS, &["--bcrypt-cost", "8"]].concat()).await;

    let unknown = median_login_time(&after, |n| unique_email(&format!("nobody{n}"))).await;
    let wrong = median_login_time(&after, |_| email.clone()).await;
    assert!(
        wrong.as_secs_f64() >= 0.5 * unknown.as_secs_f64(),
        "a wrong password for the cost-4 account took {wrong:?}, an unknown email {unknown:?}: \
         the difference tells the account exists"
    );
}
