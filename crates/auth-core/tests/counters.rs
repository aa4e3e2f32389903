//! The throttle's counters, one rule set run on each place they can live:
//! this process, and Redis (shared by every instance). Redis is the machine's
//! (`REDIS_URL`), under a key prefix of each test's own.
#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use auth_core::{
    redis_counters::RedisCounters,
    throttle::{Counters, MemoryCounters},
};
use futures::future::join_all;
use test_support::redis::{Prefix, shared_redis_url};

/// A count reaches its cap, is refused with the wait until its window
/// closes, and opens again after; a refusal counts nothing.
async fn caps_and_windows(counters: &dyn Counters) {
    let window = Duration::from_millis(300);
    let keys = [("a".to_owned(), 2), ("b".to_owned(), 5)];
    assert_eq!(counters.reserve(&keys, window).await.unwrap(), None);
    assert_eq!(counters.reserve(&keys, window).await.unwrap(), None);
    let wait = counters.reserve(&keys, window).await.unwrap();
    assert!(wait.is_some_and(|w| w <= window), "{wait:?}");
    // `b` counted twice, not three times: at most three more pass.
    let only_b = [("b".to_owned(), 5)];
    for _ in 0..3 {
        assert_eq!(counters.reserve(&only_b, window).await.unwrap(), None);
    }
    assert!(counters.reserve(&only_b, window).await.unwrap().is_some());
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    assert_eq!(counters.reserve(&keys, window).await.unwrap(), None);
}

/// Giving back takes one off a count; forgetting deletes it.
async fn release_gives_back(counters: &dyn Counters) {
    let window = Duration::from_secs(60);
    let keys = [("x".to_owned(), 1), ("y".to_owned(), 1)];
    assert_eq!(counters.reserve(&keys, window).await.unwrap(), None);
    assert!(counters.reserve(&keys, window).await.unwrap().is_some());
    counters
        .release(&["x".to_owned()], &["y".to_owned()])
        .await
        .unwrap();
    assert_eq!(counters.reserve(&keys, window).await.unwrap(), None);
}

/// Fifty reservations at once against a cap of five: exactly five pass.
async fn parallel_reservations_respect_the_cap(counters: &dyn Counters) {
    let keys = [("p".to_owned(), 5)];
    let all = (0..50).map(|_| counters.reserve(&keys, Duration::from_secs(60)));
    let passed = join_all(all)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(None)))
        .count();
    assert_eq!(passed, 5);
}

macro_rules! on_each_store {
    ($($rule:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $rule() {
                super::$rule(&super::MemoryCounters::default()).await;
            })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $rule() {
                let Some(url) = super::shared_redis_url().await else { return };
                let prefix = super::Prefix::new(&url, "counters");
                let pool = auth_core::redis::connect(&url, "the test").await.unwrap();
                let counters = super::Arc::new(super::RedisCounters::new(pool, &prefix.prefix));
                super::$rule(counters.as_ref()).await;
            })*
        }
    };
}

on_each_store!(
    caps_and_windows,
    release_gives_back,
    parallel_reservations_respect_the_cap
);
