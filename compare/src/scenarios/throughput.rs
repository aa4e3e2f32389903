//! Row 12: Speed: /protected under a bounded load (fixed connections, fixed
//! seconds, keep-alive), and the latency of a login at the configured bcrypt
//! cost. Numbers, not verdicts: nothing here asserts a speed.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::{All, Configs, Measured, Scenario, failed, ratio};
use crate::{
    columns::{Configuration, Store},
    lab::{Lab, Server, http},
    load::{self, Load},
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "throughput",
    title: "Speed: /protected and login",
    claim: "JWTs are faster: no session lookup on each request.",
    lesson: "Compare the ratios, not the absolute numbers; the columns take turns in rounds so \
             that background load hits them alike.",
    measure: &All(run),
};

/// Concurrent requests in flight, each task on its own keep-alive connection.
const CONNECTIONS: usize = 16;

/// A configuration ready for load: its server and what to send.
struct Target {
    config: &'static Configuration,
    server: Server,
    header: (&'static str, String),
    login: Duration,
    load: Load,
}

async fn run(lab: &Lab, configs: Configs<'_>) -> Measured {
    let (warm_up, total, rounds) = if lab.quick {
        (Duration::from_millis(100), Duration::from_millis(500), 1)
    } else {
        (Duration::from_millis(500), Duration::from_secs(3), 3)
    };
    // Every server is started first, then the load runs in rounds that
    // take the columns in turn: a burst of background work on a shared
    // machine then lands on all of them, not on one column's only run.
    let mut targets = Vec::new();
    let mut results: Vec<(String, Option<Cell>)> = Vec::new();
    for &config in configs {
        lab.step(SCENARIO.id, SCENARIO.title, config);
        // A slot per column in table order, filled once the load is over.
        let slot = match prepare(lab, config).await {
            Ok(t) => {
                targets.push(t);
                None
            }
            Err(e) => Some(failed(lab, &SCENARIO, config, &e)),
        };
        results.push((config.name.to_owned(), slot));
    }
    lab.note(
        "all",
        &format!(
            "{CONNECTIONS} connections send GET /protected for {:.1} s per column, in {rounds} \
                 round(s) taking the columns in turn (requests not shown)",
            total.as_secs_f64()
        ),
    );
    let mut broken: Vec<(&'static Configuration, anyhow::Error)> = Vec::new();
    for t in &mut targets {
        if let Err(e) = load::run(&t.target(), CONNECTIONS, warm_up).await {
            broken.push((t.config, e));
        }
    }
    for round in 0..rounds {
        for t in &mut targets {
            if broken.iter().any(|(c, _)| c.name == t.config.name) {
                continue;
            }
            lab.progress(&format!(
                "throughput · {} (round {}/{rounds})",
                t.config.name,
                round + 1
            ));
            match load::run(&t.target(), CONNECTIONS, total / rounds).await {
                Ok(l) => t.load.add(&l),
                Err(e) => broken.push((t.config, e)),
            }
        }
    }
    let mut logins = Vec::new();
    for t in &targets {
        let cell = match broken.iter().find(|(c, _)| c.name == t.config.name) {
            Some((config, e)) => failed(lab, &SCENARIO, config, e),
            None => {
                logins.push(t.login);
                cell(t)
            }
        };
        if let Some(slot) = results.iter_mut().find(|(n, _)| n == t.config.name) {
            slot.1 = Some(cell);
        }
    }
    let results = results
        .into_iter()
        .map(|(n, c)| {
            (
                n,
                c.unwrap_or_else(|| Cell::error(&anyhow::anyhow!("not measured"))),
            )
        })
        .collect();
    let measured = Measured::new(results);
    let lesson = lesson(lab, configs, &measured, &logins);
    measured.with_lesson(lesson)
}

async fn prepare(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Target> {
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
    Ok(Target {
        config,
        server,
        header: credential.header(),
        login,
        load: Load::default(),
    })
}

impl Target {
    fn target(&self) -> load::Target {
        let (name, value) = (self.header.0, self.header.1.as_str());
        load::Target::get(self.server.addr, "/protected", Some((name, value)), 200)
    }
}

fn cell(t: &Target) -> Cell {
    let run = &t.load;
    let rps = run.rate();
    Cell::new(
        format!(
            "{} · p50 {} · p99 {} · login {}{}",
            Metric::RequestsPerS.show(rps),
            ms(run.quantile(0.50)),
            ms(run.quantile(0.99)),
            ms(t.login),
            if run.errors > 0 {
                format!(" · {} errors", run.errors)
            } else {
                String::new()
            }
        ),
        rps.round() as u64,
        run.errors == 0 && !run.latencies.is_empty(),
    )
    .with(Metric::RequestsPerS, rps)
    .with(Metric::P50Ms, run.quantile_ms(0.50))
    .with(Metric::P99Ms, run.quantile_ms(0.99))
    .with(Metric::LoginMs, millis(t.login))
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn lesson(lab: &Lab, configs: Configs<'_>, measured: &Measured, logins: &[Duration]) -> String {
    let mut ratios = Vec::new();
    for (i, c) in configs.iter().enumerate().skip(1) {
        // Each column against the first of its own app (a Redis column
        // against the same app's in-memory one: what the Redis round trip
        // costs), and the first of each app against the very first column.
        let earlier = &configs[..i];
        let base = earlier
            .iter()
            .find(|b| c.needs_redis() && b.app == c.app && b.store == Store::Memory)
            .or_else(|| earlier.iter().find(|b| b.app == c.app))
            .unwrap_or(&configs[0]);
        if let (Some(a), Some(b)) = (measured.value(c.name), measured.value(base.name)) {
            ratios.push(format!("{} is {} {}", c.name, ratio(a, b), base.name));
        }
    }
    let login = match (logins.iter().min(), logins.iter().max()) {
        (Some(low), Some(high)) => format!(
            " A login takes {}{} at bcrypt cost {} in every column: the hash, not the \
             credential, sets its price.",
            ms(*low),
            if high > low {
                format!(" to {}", ms(*high))
            } else {
                String::new()
            },
            lab.bcrypt_cost()
        ),
        _ => String::new(),
    };
    let redis = if configs.iter().any(|c| c.needs_redis()) {
        " A Redis column pays a round trip to Redis on every request (session-app loads the \
         session, jwt-app asks the denylist), and Redis shares the cores too."
    } else {
        ""
    };
    format!(
        "Requests/s: {}.{login}{redis} The load generator shares the machine's {} cores with \
         the server: {}",
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
    Metric::LoginMs.show(millis(d))
}
