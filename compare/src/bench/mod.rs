//! `compare bench` (`just bench`): how close to the libraries' own speed our
//! servers answer `GET /protected`. Every column and a bare server per kind
//! of library work (crates/bare) get the same bounded load, taking turns in
//! rounds; each row reports requests/s and latency percentiles (the median
//! of the rounds) and its ratio to its bare counterpart and to the bare
//! route. Then the login flood: `/protected` while logins arrive faster
//! than bcrypt can hash them; then what a signed-in user costs each store
//! in memory. Numbers, not verdicts: nothing asserts a speed.

pub mod chart;
mod cpu;
mod flood;
mod measure;
mod memory;
mod rows;
mod table;
mod wrk;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::{
    lab::{Lab, redis},
    report::Machine,
};

pub use flood::FloodResult;
pub use measure::RowResult;
pub use memory::MemoryResult;
pub use rows::{Row, Subject};
pub use wrk::WrkCheck;

/// What to measure and how to print it.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A few tenths of a second per row, one round, a short flood: proves
    /// the bench works (CI), the numbers mean nothing.
    #[arg(long)]
    pub quick: bool,
    /// Rounds; each row's numbers are the median of its rounds.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Seconds of load per row in each round.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Seconds of load per row before the first round, not counted.
    #[arg(long, default_value_t = 1.0)]
    pub warm_up: f64,
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Only the rows whose name contains this (repeatable); the bare
    /// counterparts they are held against come along.
    #[arg(long = "only", value_name = "TEXT")]
    pub only: Vec<String>,
    /// Leave out the login flood.
    #[arg(long)]
    pub no_flood: bool,
    /// bcrypt cost of the flood's server (the servers' own default: 12).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(4..=31))]
    pub flood_cost: u32,
    /// Logins of one account per store for the memory section (each a new
    /// session or refresh token): 100000, or 300 under --quick. The Redis
    /// stores take at most 1000: their number is per key.
    #[arg(long, value_name = "N")]
    pub memory_logins: Option<usize>,
    /// Leave out the memory per signed-in user.
    #[arg(long)]
    pub no_memory: bool,
    /// Also load bare/route, session/memory and jwt with wrk (if installed),
    /// to cross-check the in-process load generator.
    #[arg(long)]
    pub wrk: bool,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// Write the results to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also draw the ratios as SVG charts into DIR (bench-vs-bare.svg,
    /// bench-vs-route.svg).
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Measure nothing: read a run saved with `--format json` and print it
    /// (and draw its charts) as if it had just been measured.
    #[arg(long, value_name = "FILE")]
    pub from_json: Option<PathBuf>,
}

/// How the bench's results are printed (`compare bench --format`): no HTML,
/// the bench has no page of its own (its charts are SVG files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    Table,
    Markdown,
    Json,
}

/// How long and how hard, after `--quick` is applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub connections: usize,
    pub rounds: usize,
    pub seconds_per_round: f64,
    pub warm_up_seconds: f64,
    /// The servers' `RUST_LOG`: their own default (request log on) unless
    /// `COMPARE_SERVER_LOG` says otherwise.
    pub server_log: String,
    /// Whether wrk cross-checks the load generator.
    pub wrk: bool,
    /// Logins per store of the memory section (0: left out).
    #[serde(default)]
    pub memory_logins: usize,
}

impl Settings {
    fn from(opts: &Options) -> Self {
        let (rounds, seconds, warm_up) = if opts.quick {
            (1, 0.3, 0.1)
        } else {
            (opts.rounds.max(1), opts.seconds, opts.warm_up)
        };
        Self {
            connections: opts.connections.max(1),
            rounds,
            seconds_per_round: seconds,
            warm_up_seconds: warm_up,
            server_log: std::env::var("COMPARE_SERVER_LOG")
                .unwrap_or_else(|_| auth_core::serve::DEFAULT_LOG_FILTER.to_owned()),
            wrk: opts.wrk,
            memory_logins: match (opts.no_memory, opts.memory_logins) {
                (true, _) => 0,
                (false, Some(n)) => n.max(1),
                (false, None) if opts.quick => 300,
                (false, None) => 100_000,
            },
        }
    }

    pub fn round(&self) -> Duration {
        Duration::from_secs_f64(self.seconds_per_round.max(0.05))
    }

    pub fn warm_up(&self) -> Duration {
        Duration::from_secs_f64(self.warm_up_seconds.max(0.0))
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub settings: Settings,
    pub rows: Vec<RowResult>,
    pub flood: Vec<FloodResult>,
    pub wrk: Vec<WrkCheck>,
    /// Bytes per signed-in user, per store (empty with `--no-memory`).
    #[serde(default)]
    pub memory: Vec<MemoryResult>,
}

/// bcrypt cost of the throughput rows' servers: it prices only their
/// startup and the one login, not `/protected`. The flood sets its own.
fn bcrypt_cost(quick: bool) -> u32 {
    if quick { 4 } else { 10 }
}

pub async fn main(opts: Options) -> ExitCode {
    let report = match &opts.from_json {
        Some(file) => saved(file),
        None => tokio::select! {
            report = run(&opts) => report,
            (what, code) = crate::lab::stop_signals::interrupted() => {
                eprintln!("\ncompare bench: {what}; every server it started is stopped");
                return ExitCode::from(code);
            }
        },
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("compare bench: {e:#}");
            return ExitCode::from(2);
        }
    };
    let text = match opts.format {
        BenchFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        BenchFormat::Table => table::render(&report, false),
        BenchFormat::Markdown => table::render(&report, true),
    };
    match &opts.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("compare bench: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            eprintln!("compare bench: wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    if let Some(dir) = &opts.charts {
        match chart::write(&report, dir) {
            Ok(files) => {
                for file in files {
                    eprintln!("compare bench: wrote {}", file.display());
                }
            }
            Err(e) => {
                eprintln!(
                    "compare bench: cannot write the charts to {}: {e}",
                    dir.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    let failed = report.rows.iter().filter(|r| r.error.is_some()).count()
        + report.memory.iter().filter(|m| m.error.is_some()).count();
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("compare bench: {failed} row(s) could not be measured");
        ExitCode::FAILURE
    }
}

pub async fn run(opts: &Options) -> anyhow::Result<BenchReport> {
    let settings = Settings::from(opts);
    let mut lab = Lab::new(bcrypt_cost(opts.quick), opts.quick, None)?;
    lab.launcher.server_log = settings.server_log.clone();
    lab.launcher.stderr_to_file = true;

    let rows = chosen(&opts.only);
    if rows.is_empty() {
        // Not an error: the flood and the memory section still run.
        lab.warn(&format!("no row matches --only {}", opts.only.join(", ")));
    }
    let mut machine = Machine::here(bcrypt_cost(opts.quick), opts.quick);
    let mut no_redis = None;
    // The memory section has Redis stores of its own.
    if rows.iter().any(Row::needs_redis) || settings.memory_logins > 0 {
        lab.progress("finding Redis (REDIS_URL, else a private redis-server)");
        match redis::Redis::provide(&lab.launcher.exe).await {
            Ok(r) => {
                machine.redis = Some(r.describe());
                lab.redis = Some(r);
            }
            Err(why) if contract_client::ci::in_ci() => {
                anyhow::bail!("no Redis for the Redis rows under CI=true: {why}")
            }
            Err(why) => {
                lab.warn(&format!("SKIPPED the Redis rows: {why}"));
                machine.redis = Some("none (the Redis rows are skipped)".to_owned());
                no_redis = Some(why);
            }
        }
    }
    let (mut results, wrk) = measure::rows(&lab, &settings, &rows, no_redis.as_deref()).await;
    measure::ratios(&mut results, &rows);
    let flood = if opts.no_flood {
        Vec::new()
    } else {
        flood::run(&lab, opts.quick, opts.flood_cost).await
    };
    let memory = if settings.memory_logins == 0 {
        Vec::new()
    } else {
        memory::run(&lab, settings.memory_logins, no_redis.as_deref()).await
    };
    lab.progress.clear();
    if let Some(redis) = lab.redis.take() {
        redis.stop().await;
    }
    Ok(BenchReport {
        machine,
        settings,
        rows: results,
        flood,
        wrk,
        memory,
    })
}

/// A run saved by `--format json`.
fn saved(file: &std::path::Path) -> anyhow::Result<BenchReport> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a run saved by `compare bench --format json`",
            file.display()
        )
    })
}

/// The rows `only` picks (all when empty), with the bare rows they are held against.
fn chosen(only: &[String]) -> Vec<Row> {
    let all = rows::all();
    if only.is_empty() {
        return all;
    }
    let picked: Vec<&Row> = all
        .iter()
        .filter(|r| only.iter().any(|o| r.name.contains(o.as_str())))
        .collect();
    all.iter()
        .filter(|r| {
            picked.iter().any(|p| p.name == r.name)
                || picked.iter().any(|p| {
                    p.counterpart
                        .is_some_and(|k| k.name() == r.name || bare::Kind::Route.name() == r.name)
                })
        })
        .cloned()
        .collect()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--from-json` redraws a run: its numbers must come back as the very
    /// f64s written, or a label rounds the other way (serde_json's default
    /// parser reads this one a ULP low; the workspace turns on
    /// `float_roundtrip`).
    #[test]
    fn numbers_read_back_from_json_are_the_numbers_written() {
        let written = "97.45365320034685";
        let read: f64 = serde_json::from_str(written).expect("a number");
        assert_eq!(Some(read), written.parse::<f64>().ok());
        assert_eq!(serde_json::to_string(&read).ok().as_deref(), Some(written));
    }

    #[test]
    fn the_median_of_the_rounds() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn only_brings_the_counterparts_along() {
        let names: Vec<String> = chosen(&["session/memory".into()])
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert!(
            names.contains(&"bare/session-memory".to_owned()),
            "{names:?}"
        );
        assert!(names.contains(&"bare/route".to_owned()), "{names:?}");
        assert!(!names.contains(&"jwt".to_owned()), "{names:?}");
    }
}
