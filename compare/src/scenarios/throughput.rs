//! Row 12: Speed: /protected under a bounded load (fixed connections, fixed
//! seconds, keep-alive), and the latency of a login at the configured bcrypt
//! cost. Numbers, not verdicts: nothing here asserts a speed.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};
use futures::future::LocalBoxFuture;
use tokio::task::JoinSet;

use super::{Configs, Measured, Scenario, each, ratio};
use crate::{Cell, Configuration, Lab, http};

pub const SCENARIO: Scenario = Scenario {
    id: "throughput",
    title: "Speed: /protected and login",
    claim: "JWTs are faster: no session lookup on each request.",
    lesson: "Compare the ratios, not the absolute numbers.",
    run,
};

/// Concurrent requests in flight, each task on its own keep-alive connection.
const CONNECTIONS: usize = 16;

fn run<'a>(lab: &'a Lab, configs: Configs<'a>) -> LocalBoxFuture<'a, Measured> {
    Box::pin(async move {
        let logins = Mutex::new(Vec::new());
        let results = each(lab, &SCENARIO, configs, async |c| {
            let (cell, login) = one(lab, c).await?;
            logins.lock().unwrap_or_else(|e| e.into_inner()).push(login);
            Ok(cell)
        })
        .await;
        let measured = Measured::new(results);
        let logins = logins.into_inner().unwrap_or_else(|e| e.into_inner());
        let lesson = lesson(lab, configs, &measured, &logins);
        measured.with_lesson(lesson)
    })
}

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<(Cell, Duration)> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "speed").await?;
    let mut login_times = Vec::new();
    let mut credential = None;
    for _ in 0..if lab.quick { 3 } else { 5 } {
        let started = Instant::now();
        let (c, _) = http::login(&http, &server, &email).await?;
        login_times.push(started.elapsed());
        credential = Some(c);
    }
    login_times.sort();
    let login = login_times[login_times.len() / 2];
    let credential = credential.context("no login was made")?;

    let (warm_up, duration) = if lab.quick {
        (Duration::from_millis(100), Duration::from_millis(500))
    } else {
        (Duration::from_millis(500), Duration::from_secs(3))
    };
    lab.note(
        config.name,
        &format!(
            "{CONNECTIONS} connections send GET /protected for {:.1} s (not shown)",
            duration.as_secs_f64()
        ),
    );
    let url = server.url("/protected");
    let header = credential.header();
    load(&url, &header, warm_up).await?;
    let run = load(&url, &header, duration).await?;
    let rps = run.requests as f64 / run.elapsed.as_secs_f64();
    Ok((
        Cell::new(
            format!(
                "{} req/s · p50 {} · p99 {} · login {}{}",
                human(rps),
                ms(run.p50),
                ms(run.p99),
                ms(login),
                if run.errors > 0 {
                    format!(" · {} errors", run.errors)
                } else {
                    String::new()
                }
            ),
            rps.round() as u64,
            run.errors == 0 && run.requests > 0,
        ),
        login,
    ))
}

struct Load {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

/// `CONNECTIONS` tasks share one client (so one keep-alive connection each)
/// and send requests back to back until `duration` is over.
async fn load(
    url: &str,
    header: &(&'static str, String),
    duration: Duration,
) -> anyhow::Result<Load> {
    let client = http::client()?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (client, url, header) = (client.clone(), url.to_owned(), header.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let res = client.get(&url).header(header.0, &header.1).send().await;
                let ok = match res {
                    Ok(res) => res.status() == 200 && res.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        });
    }
    // Every request is bounded by the client's timeout; this bounds the lot.
    let limit = duration + http::REQUEST_TIMEOUT + Duration::from_secs(5);
    let joined = tokio::time::timeout(limit, async {
        let mut all = Vec::new();
        let mut errors = 0;
        while let Some(done) = tasks.join_next().await {
            let (latencies, e) = done.context("a load task failed")?;
            all.extend(latencies);
            errors += e;
        }
        Ok::<_, anyhow::Error>((all, errors))
    })
    .await
    .context("the load phase did not end in time")??;
    let elapsed = started.elapsed();
    let (mut latencies, errors) = joined;
    ensure!(
        !latencies.is_empty(),
        "no request succeeded ({errors} failed)"
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Load {
        requests: latencies.len(),
        errors,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
    })
}

fn lesson(lab: &Lab, configs: Configs<'_>, measured: &Measured, logins: &[Duration]) -> String {
    let mut ratios = Vec::new();
    for (i, c) in configs.iter().enumerate().skip(1) {
        // Each column against the first of its own app, and the first of
        // each app against the very first column.
        let base = configs[..i]
            .iter()
            .find(|b| b.app == c.app)
            .unwrap_or(&configs[0]);
        if let (Some(a), Some(b)) = (measured.value(c.name), measured.value(base.name)) {
            ratios.push(format!("{} is {} {}", c.name, ratio(a, b), base.name));
        }
    }
    let mut sorted = logins.to_vec();
    sorted.sort();
    let login = sorted
        .get(sorted.len() / 2)
        .map(|d| {
            format!(
                " A login takes ~{} everywhere at bcrypt cost {}: the hash, not the credential, \
                 sets its price.",
                ms(*d),
                lab.bcrypt_cost()
            )
        })
        .unwrap_or_default();
    format!(
        "Requests/s: {}.{login} The load generator shares the machine's {} cores with the \
         server: {}",
        if ratios.is_empty() {
            "one column, no ratio".to_owned()
        } else {
            ratios.join("; ")
        },
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        lower(SCENARIO.lesson)
    )
}

fn lower(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn human(n: f64) -> String {
    if n >= 10_000.0 {
        format!("{:.1}k", n / 1000.0)
    } else {
        format!("{n:.0}")
    }
}
