//! compare: the harness that turns "server-side sessions or JWTs?" from claims
//! into measurements. It starts session-app and jwt-app as real processes in
//! each configuration, drives them through the same scenarios over HTTP and
//! reports what happened, side by side.

pub mod bench;
pub mod cli;
pub mod columns;
pub mod jwt_by_hand;
pub mod lab;
pub mod load;
pub mod report;
pub mod scenarios;

use anyhow::bail;

use crate::{
    cli::Options,
    columns::{CONFIGURATIONS, Configuration},
    lab::{Lab, explain::Explain, redis::Redis},
    report::{Cell, Report},
    scenarios::{Measured, SCENARIOS, Scenario},
};

/// Runs the chosen scenarios on the chosen configurations.
///
/// The Redis columns need a Redis ([`Redis::provide`]); without one
/// their cells are skipped (`"skipped": true`) and the other columns are
/// measured as usual, except under `CI=true`, where that is an error.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    let configs: Vec<&'static Configuration> = CONFIGURATIONS
        .iter()
        .filter(|c| opts.configs.is_empty() || opts.configs.iter().any(|n| n == c.name))
        .collect();
    let chosen: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| opts.scenarios.is_empty() || opts.scenarios.iter().any(|n| n == s.id))
        .collect();
    let explain = opts
        .explain
        .then(|| Explain::new(opts.document_on_stdout()));
    let mut lab = Lab::new(opts.bcrypt_cost, opts.quick, explain)?;

    let wanting: Vec<&str> = configs
        .iter()
        .filter(|c| c.needs_redis())
        .map(|c| c.name)
        .collect();
    let mut no_redis = None;
    let mut redis_used = None;
    if !wanting.is_empty() && !chosen.is_empty() {
        lab.progress("finding Redis (REDIS_URL, else a private redis-server)");
        match Redis::provide(&lab.launcher.exe).await {
            Ok(redis) => {
                lab.note(
                    "redis",
                    &format!("the Redis columns use {}", redis.describe()),
                );
                redis_used = Some(redis.describe());
                lab.redis = Some(redis);
            }
            Err(why) if contract_client::ci::in_ci() => {
                bail!(
                    "no Redis for {} under CI=true, where that is a failure: {why}",
                    wanting.join(", ")
                );
            }
            Err(why) => {
                lab.warn(&format!("SKIPPED {}: {why}", wanting.join(", ")));
                redis_used = Some("none (the Redis columns are skipped)".to_owned());
                no_redis = Some(why);
            }
        }
    }
    let skipped = |c: &Configuration| c.needs_redis() && no_redis.is_some();
    let runnable: Vec<&'static Configuration> =
        configs.iter().copied().filter(|c| !skipped(c)).collect();

    let mut scenarios = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        if lab.explain.is_none() {
            lab.progress
                .show(&format!("[{}/{}] {}", i + 1, chosen.len(), s.id));
        }
        let mut measured = if runnable.is_empty() {
            Measured::new(Vec::new())
        } else {
            s.measure.run(&lab, s, &runnable).await
        };
        // Every column in table order, the skipped ones included.
        let results = configs
            .iter()
            .map(|c| {
                let cell = match (&no_redis, skipped(c)) {
                    (Some(why), true) => Cell::skipped(format!("skipped: {why}")),
                    _ => measured
                        .take(c.name)
                        .unwrap_or_else(|| Cell::error(&anyhow::anyhow!("not measured"))),
                };
                (c.name.to_owned(), cell)
            })
            .collect();
        scenarios.push(report::ScenarioReport::new(
            s.id,
            s.title,
            s.claim,
            measured.lesson.unwrap_or_else(|| s.lesson.to_owned()),
            results,
        ));
    }
    lab.progress.clear();
    if let Some(redis) = lab.redis.take() {
        redis.stop().await;
    }
    let mut machine = report::Machine::here(opts.bcrypt_cost, opts.quick);
    machine.redis = redis_used;
    let mut report = Report {
        version: report::VERSION,
        machine,
        configurations: configs.iter().map(|c| c.name.to_owned()).collect(),
        left_out: SCENARIOS
            .iter()
            .map(|s| s.id)
            .filter(|id| !scenarios.iter().any(|s| s.id == *id))
            .collect(),
        scenarios,
    };
    report.judge();
    Ok(report)
}
