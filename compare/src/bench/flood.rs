//! The login flood: `/protected` latency while logins at bcrypt cost 12
//! arrive faster than the cores can hash them, against the same load
//! without them, and how many of those logins were turned away at once with
//! 503 `busy` and `Retry-After` rather than queued without bound.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::median;
use crate::{
    columns::{App, Configuration},
    lab::{Lab, http},
    load,
};

/// Login clients, each with one login in flight: many times what one or two
/// bcrypt slots get through in the servers' 3 s queue timeout. Each logs in
/// as an account of its own: the throttle counts every attempt of one
/// (email, address) pair before the hash and refuses the sixth in flight
/// with 429, so one account could not flood the hash queue at all (a class
/// of students signing in at once is the case measured).
const LOGIN_CLIENTS: usize = 32;

/// `/protected` connections beside them: fewer than the throughput rows',
/// for a latency measured below saturation.
const CONNECTIONS: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FloodResult {
    pub name: String,
    pub bcrypt_cost: u32,
    pub login_clients: usize,
    /// `/protected` alone, then during the flood: medians of the rounds.
    pub p99_alone_ms: Option<f64>,
    pub p99_flood_ms: Option<f64>,
    pub p50_alone_ms: Option<f64>,
    pub p50_flood_ms: Option<f64>,
    /// Median over the rounds of p99 during the flood over p99 alone.
    pub p99_ratio: Option<f64>,
    /// Logins answered during the flood phases, by answer.
    pub logins_ok: usize,
    /// 503 with `error: busy` and a `Retry-After` header.
    pub logins_busy: usize,
    /// 429 from the login throttle.
    pub logins_throttled: usize,
    pub logins_other: usize,
    /// `logins_busy` over all logins answered.
    pub busy_share: Option<f64>,
    pub error: Option<String>,
}

/// Floods session/memory and jwt, the two apps' plainest columns.
/// `cost`: the flood's bcrypt cost (12, the servers' default, unless told).
pub async fn run(lab: &Lab, quick: bool, cost: u32) -> Vec<FloodResult> {
    let mut results = Vec::new();
    for config in [App::Session, App::Jwt]
        .into_iter()
        .filter_map(Configuration::plainest)
    {
        lab.progress(&format!("bench · login flood · {}", config.name));
        let mut result = FloodResult {
            name: config.name.to_owned(),
            bcrypt_cost: cost,
            login_clients: if quick { 4 } else { LOGIN_CLIENTS },
            p99_alone_ms: None,
            p99_flood_ms: None,
            p50_alone_ms: None,
            p50_flood_ms: None,
            p99_ratio: None,
            logins_ok: 0,
            logins_busy: 0,
            logins_throttled: 0,
            logins_other: 0,
            busy_share: None,
            error: None,
        };
        if let Err(e) = flood(lab, config, quick, &mut result).await {
            lab.warn(&format!("bench · login flood · {}: {e:#}", config.name));
            result.error = Some(format!("{e:#}"));
        }
        results.push(result);
    }
    results
}

async fn flood(
    lab: &Lab,
    config: &'static Configuration,
    quick: bool,
    result: &mut FloodResult,
) -> anyhow::Result<()> {
    let cost = result.bcrypt_cost.to_string();
    let server = lab.start(config, &["--bcrypt-cost", &cost]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "flood").await?;
    let (credential, _) = http::login(&http, &server, &email).await?;
    // One after another: registrations wait for the same bcrypt slots.
    let mut emails = Vec::new();
    for _ in 0..result.login_clients {
        emails.push(http::register(&http, &server, "flood").await?);
    }
    let (name, value) = credential.header();
    let target = load::Target::get(server.addr, "/protected", Some((name, &value)), 200);
    // Longer than the servers' 3 s queue timeout, so that turned-away logins show.
    let (phase, rounds) = if quick {
        (Duration::from_millis(500), 1)
    } else {
        (Duration::from_secs(6), 3)
    };
    load::run(&target, CONNECTIONS, Duration::from_millis(300)).await?;
    let counts = Arc::new(Counts::default());
    let (mut alone, mut flooded) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        alone.push(load::run(&target, CONNECTIONS, phase).await?);
        let mut logins = JoinSet::new();
        for email in &emails {
            logins.spawn(login_loop(
                server.url(""),
                email.clone(),
                Arc::clone(&counts),
            ));
        }
        // Let the queue fill before measuring.
        tokio::time::sleep(if quick {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        })
        .await;
        let during = load::run(&target, CONNECTIONS, phase).await;
        logins.abort_all();
        flooded.push(during?);
        // The hash a dropped login started still runs to its end.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let ms = load::Load::quantile_ms;
    result.p99_alone_ms = median(alone.iter().map(|l| ms(l, 0.99)).collect());
    result.p99_flood_ms = median(flooded.iter().map(|l| ms(l, 0.99)).collect());
    result.p50_alone_ms = median(alone.iter().map(|l| ms(l, 0.5)).collect());
    result.p50_flood_ms = median(flooded.iter().map(|l| ms(l, 0.5)).collect());
    result.p99_ratio = median(
        alone
            .iter()
            .zip(&flooded)
            .map(|(a, f)| ms(f, 0.99) / ms(a, 0.99).max(0.001))
            .collect(),
    );
    result.logins_ok = counts.ok.load(Ordering::Relaxed);
    result.logins_busy = counts.busy.load(Ordering::Relaxed);
    result.logins_throttled = counts.throttled.load(Ordering::Relaxed);
    result.logins_other = counts.other.load(Ordering::Relaxed);
    let answered =
        result.logins_ok + result.logins_busy + result.logins_throttled + result.logins_other;
    result.busy_share = (answered > 0).then(|| result.logins_busy as f64 / answered as f64);
    lab.stop(server).await
}

#[derive(Default)]
struct Counts {
    ok: AtomicUsize,
    busy: AtomicUsize,
    throttled: AtomicUsize,
    other: AtomicUsize,
}

/// One client logging in again as soon as it has an answer, until aborted.
async fn login_loop(base: String, email: String, counts: Arc<Counts>) {
    let client = contract_client::client::client();
    let login = contract_client::client::login(&email, contract_client::client::PASSWORD);
    loop {
        let started = Instant::now();
        let answer = login.build(&client, &base).send().await;
        let counter = match answer {
            Ok(res) if res.status() == 200 => &counts.ok,
            Ok(res) if res.status() == 429 => &counts.throttled,
            Ok(res) if res.status() == 503 && res.headers().contains_key("retry-after") => {
                let busy = res
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|b| b["error"] == "busy");
                if busy { &counts.busy } else { &counts.other }
            }
            _ => &counts.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // A client that obeyed Retry-After would wait; a flood does not.
        if started.elapsed() < Duration::from_millis(1) {
            tokio::task::yield_now().await;
        }
    }
}
