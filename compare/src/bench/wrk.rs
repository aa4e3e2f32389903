//! The cross-check of the in-process load generator: the same server,
//! connections and duration, once with ours and once with wrk (C, one
//! thread, epoll), if wrk is installed. Close rates say that ours is not
//! the bottleneck; the latencies differ by what each counts (ours from
//! before the write to the end of the body, wrk the same on its own clock).

use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::rows::{PROTECTED_PATH, Row, Subject};
use crate::load;

/// Whether `row` is cross-checked: the floor (bare/route), and each app's
/// plainest column on `/protected`.
pub fn cross_checked(row: &Row) -> bool {
    match row.subject {
        Subject::Bare(kind) => kind == bare::Kind::Route,
        Subject::Column { config, path, .. } => path == PROTECTED_PATH && config.is_plainest(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrkCheck {
    pub name: String,
    pub seconds: f64,
    pub connections: usize,
    pub ours_requests_per_s: Option<f64>,
    pub ours_p50_ms: Option<f64>,
    pub ours_p99_ms: Option<f64>,
    pub wrk_requests_per_s: Option<f64>,
    pub wrk_p50_ms: Option<f64>,
    pub wrk_p99_ms: Option<f64>,
    pub error: Option<String>,
}

/// What wrk printed that we compare.
#[derive(Debug, PartialEq)]
struct WrkOut {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Loads `target` (`path` with `header`) with ours, then with wrk.
pub async fn check(
    name: &str,
    target: &load::Target,
    path: &str,
    header: Option<&(&'static str, String)>,
    connections: usize,
    duration: Duration,
) -> WrkCheck {
    let mut check = WrkCheck {
        name: name.to_owned(),
        seconds: duration.as_secs_f64(),
        connections,
        ours_requests_per_s: None,
        ours_p50_ms: None,
        ours_p99_ms: None,
        wrk_requests_per_s: None,
        wrk_p50_ms: None,
        wrk_p99_ms: None,
        error: None,
    };
    match load::run(target, connections, duration).await {
        Ok(l) => {
            check.ours_requests_per_s = Some(l.rate());
            check.ours_p50_ms = Some(l.quantile_ms(0.5));
            check.ours_p99_ms = Some(l.quantile_ms(0.99));
        }
        Err(e) => check.error = Some(format!("ours: {e:#}")),
    }
    match wrk(target, path, header, connections, duration).await {
        Ok(out) => {
            check.wrk_requests_per_s = Some(out.rate);
            check.wrk_p50_ms = Some(out.p50_ms);
            check.wrk_p99_ms = Some(out.p99_ms);
        }
        Err(e) => check.error = Some(format!("wrk: {e:#}")),
    }
    check
}

async fn wrk(
    target: &load::Target,
    path: &str,
    header: Option<&(&'static str, String)>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<WrkOut> {
    let exe = which_wrk().context("wrk is not installed (apt-get install wrk)")?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["-t1", "--latency"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)));
    if let Some((name, value)) = header {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    cmd.arg(format!("http://{}{path}", target.addr));
    cmd.kill_on_drop(true);
    let out = tokio::time::timeout(duration + Duration::from_secs(20), cmd.output())
        .await
        .context("wrk did not finish")??;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

fn which_wrk() -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("wrk"))
            .find(|p| p.is_file())
    })
}

/// Reads `Requests/sec:` and the 50 % and 99 % lines of `--latency`.
fn parse(text: &str) -> anyhow::Result<WrkOut> {
    if let Some(line) = text.lines().find(|l| l.contains("Non-2xx")) {
        bail!("wrk saw errors: {}", line.trim());
    }
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no Requests/sec in wrk's output")?;
    let percentile = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .and_then(|v| duration_ms(v.trim()))
            .with_context(|| format!("no {p} latency in wrk's output"))
    };
    Ok(WrkOut {
        rate,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
    })
}

/// `123.45us`, `1.20ms`, `2.00s` in milliseconds.
fn duration_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let out = "Running 2s test @ http://127.0.0.1:1/protected
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   210.11us  101.00us   3.00ms   90.00%
  Latency Distribution
     50%  190.00us
     75%  220.00us
     90%  300.00us
     99%    1.10ms
  80000 requests in 2.00s, 10.00MB read
Requests/sec:  40000.50
Transfer/sec:      5.00MB
";
        assert_eq!(
            parse(out).ok(),
            Some(WrkOut {
                rate: 40000.5,
                p50_ms: 0.19,
                p99_ms: 1.1
            })
        );
        assert!(parse("  Non-2xx or 3xx responses: 5\nRequests/sec: 1").is_err());
    }
}
