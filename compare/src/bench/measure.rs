//! The throughput rows: start every server, warm each up, then rounds that
//! take the rows in turn (each round starting one row later, so that no row
//! is always first after a pause), and the median of the rounds.

use serde::{Deserialize, Serialize};

use super::{
    Settings, cpu, median,
    rows::{Row, Subject},
    wrk::{self, WrkCheck},
};
use crate::{
    columns::App,
    lab::{
        self, Home, Lab, Server,
        http::{self, Http},
    },
    load::{self, Load},
};

/// One row's numbers; `None` where it was not measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowResult {
    pub name: String,
    /// The bare row it is held against.
    pub counterpart: Option<String>,
    /// Median of the rounds.
    pub requests_per_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Median over the rounds of this row's rate over its counterpart's in
    /// the same round.
    pub vs_counterpart: Option<f64>,
    /// The same, over bare/route's.
    pub vs_route: Option<f64>,
    /// The server process's CPU time (user and system, every thread) per
    /// request, in microseconds; median of the rounds.
    #[serde(default)]
    pub cpu_us_per_request: Option<f64>,
    /// The counterpart's CPU time per request over this row's: read like
    /// `vs_counterpart` (1.0: as cheap as the library work alone), but
    /// what the server spends alone, without the load generator's share of
    /// the cores.
    #[serde(default)]
    pub cpu_vs_counterpart: Option<f64>,
    /// Answers with another status and broken connections, all rounds.
    pub errors: usize,
    /// Why the row was not measured: no Redis (a skip), or a failure.
    pub skipped: Option<String>,
    pub error: Option<String>,
    /// Per round, for the ratios (not printed).
    #[serde(skip)]
    rounds: Vec<f64>,
}

impl RowResult {
    fn new(name: &str, counterpart: Option<bare::Kind>) -> Self {
        Self {
            name: name.to_owned(),
            counterpart: counterpart.map(|k| k.name().to_owned()),
            requests_per_s: None,
            p50_ms: None,
            p90_ms: None,
            p99_ms: None,
            vs_counterpart: None,
            vs_route: None,
            cpu_us_per_request: None,
            cpu_vs_counterpart: None,
            errors: 0,
            skipped: None,
            error: None,
            rounds: Vec::new(),
        }
    }
}

/// A row's server, ready for load.
struct Loaded {
    server: Server,
    target: load::Target,
    path: String,
    header: Option<(&'static str, String)>,
    rounds: Vec<Load>,
    /// CPU microseconds per request, per round.
    cpu: Vec<f64>,
}

/// Measures `rows`; with `settings.wrk`, also cross-checks the load
/// generator against wrk on the rows [`wrk::cross_checked`] picks while their servers still run.
pub async fn rows(
    lab: &Lab,
    settings: &Settings,
    rows: &[Row],
    no_redis: Option<&str>,
) -> (Vec<RowResult>, Vec<WrkCheck>) {
    let mut results: Vec<RowResult> = rows
        .iter()
        .map(|r| RowResult::new(&r.name, r.counterpart))
        .collect();
    let mut loaded: Vec<Option<Loaded>> = Vec::new();
    for (row, result) in rows.iter().zip(&mut results) {
        lab.progress(&format!("bench · starting {}", row.name));
        if let (true, Some(why)) = (row.needs_redis(), no_redis) {
            result.skipped = Some(format!("skipped: {why}"));
            loaded.push(None);
            continue;
        }
        match prepare(lab, row).await {
            Ok(l) => loaded.push(Some(l)),
            Err(e) => {
                lab.warn(&format!("bench · {}: {e:#}", row.name));
                result.error = Some(format!("{e:#}"));
                loaded.push(None);
            }
        }
    }
    let connections = settings.connections;
    for (i, l) in loaded.iter_mut().enumerate() {
        let Some(ready) = l else { continue };
        lab.progress(&format!("bench · warming up {}", rows[i].name));
        if let Err(e) = load::run(&ready.target, connections, settings.warm_up()).await {
            results[i].error = Some(with_stderr(&e, &ready.server));
            *l = None;
        }
    }
    let n = loaded.len();
    for round in 0..settings.rounds {
        for k in 0..n {
            let i = (k + round) % n;
            let Some(ready) = &mut loaded[i] else {
                continue;
            };
            lab.progress(&format!(
                "bench · round {}/{} · {}",
                round + 1,
                settings.rounds,
                rows[i].name
            ));
            let pid = ready.server.pid();
            let before = pid.and_then(cpu::used);
            match load::run(&ready.target, connections, settings.round()).await {
                Ok(l) => {
                    let requests = l.latencies.len() as f64 + l.errors as f64;
                    // A round shorter than the kernel's tick may count none.
                    if let (Some(before), Some(after)) = (before, pid.and_then(cpu::used))
                        && after > before
                        && requests > 0.0
                    {
                        ready
                            .cpu
                            .push((after - before).as_secs_f64() * 1e6 / requests);
                    }
                    ready.rounds.push(l);
                }
                Err(e) => {
                    results[i].error = Some(with_stderr(&e, &ready.server));
                    loaded[i] = None;
                }
            }
        }
    }
    let mut checks = Vec::new();
    if settings.wrk {
        for (row, l) in rows.iter().zip(&loaded) {
            let Some(ready) = l.as_ref().filter(|_| wrk::cross_checked(row)) else {
                continue;
            };
            lab.progress(&format!("bench · wrk cross-check · {}", row.name));
            let duration = settings.round().max(std::time::Duration::from_secs(2));
            checks.push(
                wrk::check(
                    &row.name,
                    &ready.target,
                    &ready.path,
                    ready.header.as_ref(),
                    connections,
                    duration,
                )
                .await,
            );
        }
    }
    for (l, result) in loaded.iter().zip(&mut results) {
        let Some(ready) = l else { continue };
        let of = |f: &dyn Fn(&Load) -> f64| median(ready.rounds.iter().map(f).collect());
        let ms = |q: f64| move |l: &Load| l.quantile_ms(q);
        result.requests_per_s = of(&Load::rate);
        result.p50_ms = of(&ms(0.50));
        result.p90_ms = of(&ms(0.90));
        result.p99_ms = of(&ms(0.99));
        result.cpu_us_per_request = median(ready.cpu.clone());
        result.errors = ready.rounds.iter().map(|l| l.errors).sum();
        result.rounds = ready.rounds.iter().map(Load::rate).collect();
    }
    (results, checks)
}

/// Fills each row's ratios: per round against the counterpart's rate in
/// the same round, then the median.
pub fn ratios(results: &mut [RowResult], rows: &[Row]) {
    let measured = |name: &str| {
        results
            .iter()
            .find(|r| r.name == name && r.requests_per_s.is_some())
    };
    let route = measured(bare::Kind::Route.name());
    let per_row: Vec<[Option<f64>; 3]> = rows
        .iter()
        .zip(results.iter())
        .map(|(row, result)| {
            let against = |base: Option<&RowResult>| {
                let base = base?;
                median(
                    result
                        .rounds
                        .iter()
                        .zip(&base.rounds)
                        .map(|(a, b)| a / b)
                        .collect(),
                )
            };
            let counterpart = row.counterpart.and_then(|k| measured(k.name()));
            let cpu =
                counterpart.and_then(|c| Some(c.cpu_us_per_request? / result.cpu_us_per_request?));
            [against(counterpart), against(route), cpu]
        })
        .collect();
    for (result, [c, r, cpu]) in results.iter_mut().zip(per_row) {
        if result.requests_per_s.is_some() {
            result.vs_counterpart = c;
            result.vs_route = r;
            result.cpu_vs_counterpart = cpu;
        }
    }
}

async fn prepare(lab: &Lab, row: &Row) -> anyhow::Result<Loaded> {
    match row.subject {
        Subject::Bare(kind) => {
            let redis = match (kind, &lab.redis) {
                (bare::Kind::SessionRedis, Some(r)) => Some(r.namespace(App::Session).await?),
                (bare::Kind::Hs256Redis, Some(r)) => Some(r.namespace(App::Jwt).await?),
                (k, None) if k.needs_redis() => anyhow::bail!("{} needs Redis", k.name()),
                _ => None,
            };
            let home = Home::new(lab::temp_dir()?, redis);
            let server = lab
                .launcher
                .start_bare(kind, home.path(), &home.redis_flags())
                .await?
                .owning(home);
            let header = if kind == bare::Kind::Route {
                None
            } else {
                let http = Http::new(kind.name(), None);
                Some(
                    http::login(&http, &server, "bare@example.com")
                        .await?
                        .0
                        .header(),
                )
            };
            Ok(loaded(server, "/protected", header, 200))
        }
        Subject::Column {
            config,
            path,
            signed_in,
            expect,
        } => {
            let server = lab.start(config, &[]).await?;
            let header = if signed_in {
                let http = lab.http(config)?;
                let email = http::register(&http, &server, "bench").await?;
                Some(http::login(&http, &server, &email).await?.0.header())
            } else {
                None
            };
            Ok(loaded(server, path, header, expect))
        }
    }
}

fn loaded(
    server: Server,
    path: &str,
    header: Option<(&'static str, String)>,
    expect: u16,
) -> Loaded {
    let sent = header.as_ref().map(|(n, v)| (*n, v.as_str()));
    Loaded {
        target: load::Target::get(server.addr, path, sent, expect),
        server,
        path: path.to_owned(),
        header,
        rounds: Vec::new(),
        cpu: Vec::new(),
    }
}

fn with_stderr(e: &anyhow::Error, server: &Server) -> String {
    format!("{e:#}; its stderr:\n{}", server.stderr())
}
