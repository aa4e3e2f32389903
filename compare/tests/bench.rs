//! `compare bench --quick`, the real binary against real servers: every row
//! and the flood come back with numbers and ratios, every store with its
//! bytes per signed-in user, and the charts are drawn, from the run and
//! again from its saved JSON. A functional test: it asserts that the bench
//! works, never how fast or how small anything is.

use std::time::Duration;

use assert_cmd::Command;
use compare::columns::CONFIGURATIONS;
use serde_json::Value;

/// The bare servers, then every column (the crate's list, not a copy of
/// it), then the bench's own EdDSA column.
fn row_names() -> Vec<&'static str> {
    let mut rows = vec![
        "bare/route",
        "bare/session-memory",
        "bare/session-sqlite",
        "bare/session-redis",
        "bare/hs256",
        "bare/eddsa",
        "bare/hs256+redis",
    ];
    rows.extend(CONFIGURATIONS.iter().map(|c| c.name));
    rows.push("jwt/eddsa");
    rows
}

/// The rows that run only with a Redis.
fn redis_row_names() -> Vec<&'static str> {
    let mut rows = vec!["bare/session-redis", "bare/hs256+redis"];
    rows.extend(
        CONFIGURATIONS
            .iter()
            .filter(|c| c.needs_redis())
            .map(|c| c.name),
    );
    rows
}

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|n| n > 0.0 && n.is_finite())
}

/// The charts `compare bench --charts` draws, and the rows each names.
fn assert_charts(dir: &std::path::Path, rows: &[Value]) {
    for (chart, bare_rows) in [("bench-vs-bare", false), ("bench-vs-route", true)] {
        let path = dir.join(format!("{chart}.svg"));
        let svg =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("no {}: {e}", path.display()));
        assert!(svg.starts_with("<svg"), "{chart}: {svg}");
        for row in rows {
            let name = row["name"].as_str().unwrap_or_default();
            if !bare_rows && name.starts_with("bare/") {
                continue;
            }
            // plotters writes each text on a line of its own.
            assert!(
                svg.contains(&format!("\n{name}\n</text>")),
                "{chart} lacks {name}"
            );
        }
    }
}

#[test]
fn quick_bench_measures_every_row_with_ratios() {
    let charts = tempfile::tempdir().expect("a temp dir");
    let charts_dir = charts.path().to_str().expect("a UTF-8 path");
    let run = Command::cargo_bin("compare")
        .expect("the compare binary")
        .args(["bench", "--quick", "--flood-cost", "4", "--format", "json"])
        .args(["--charts", charts_dir])
        .timeout(Duration::from_secs(600))
        .assert();
    let out = run.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "compare bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let rows = report["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    for name in row_names() {
        assert!(names.contains(&name), "no row {name}: {names:?}");
    }
    assert!(
        names.iter().any(|n| n.ends_with("unknown path")),
        "{names:?}"
    );
    for row in rows {
        let name = row["name"].as_str().unwrap_or_default();
        if redis_row_names().contains(&name) && row["skipped"].is_string() {
            assert!(
                !contract_client::ci::in_ci(),
                "{name} skipped under CI: {}",
                row["skipped"]
            );
            eprintln!("SKIPPED: {name}: {}", row["skipped"]);
            continue;
        }
        for field in [
            "requests_per_s",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "vs_route",
            "cpu_us_per_request",
        ] {
            assert!(positive(&row[field]), "{name}.{field}: {row}");
        }
        if !name.starts_with("bare/") {
            assert!(positive(&row["vs_counterpart"]), "{name}: {row}");
            assert!(positive(&row["cpu_vs_counterpart"]), "{name}: {row}");
            assert!(row["counterpart"].is_string(), "{name}: {row}");
        }
        assert!(row["error"].is_null(), "{name}: {row}");
    }
    let flood = report["flood"].as_array().expect("flood");
    assert_eq!(flood.len(), 2, "{flood:?}");
    for f in flood {
        for field in ["p99_alone_ms", "p99_flood_ms", "p99_ratio", "busy_share"] {
            assert!(f[field].is_number(), "flood {field}: {f}");
        }
        assert!(f["logins_ok"].as_u64().is_some_and(|n| n > 0), "{f}");
    }
    assert_charts(charts.path(), rows);

    let memory = report["memory"].as_array().expect("memory");
    for store in [
        "session/memory",
        "session/sqlite",
        "session/redis",
        "jwt refresh token, SQLite",
        "jwt refresh token, Redis",
        "jwt denylist entry, Redis",
    ] {
        assert!(
            memory.iter().any(|m| m["store"] == store),
            "no memory row for {store}: {memory:?}"
        );
    }
    for m in memory {
        if m["store"].as_str().is_some_and(|s| s.contains("edis")) && m["skipped"].is_string() {
            assert!(!contract_client::ci::in_ci(), "skipped under CI: {m}");
            eprintln!("SKIPPED: {m}");
            continue;
        }
        assert!(positive(&m["bytes"]), "memory: {m}");
        assert!(m["over"].as_u64().is_some_and(|n| n > 0), "memory: {m}");
        assert!(m["error"].is_null(), "memory: {m}");
    }

    // The same charts again from the saved run, without measuring.
    let saved = charts.path().join("run.json");
    std::fs::write(&saved, &out.stdout).expect("the run saved");
    let redrawn = charts.path().join("redrawn");
    let again = Command::cargo_bin("compare")
        .expect("the compare binary")
        .args(["bench", "--from-json"])
        .arg(&saved)
        .arg("--charts")
        .arg(&redrawn)
        .timeout(Duration::from_secs(60))
        .assert();
    let again = again.get_output();
    assert!(
        again.status.success(),
        "compare bench --from-json failed:\n{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_charts(&redrawn, rows);
    let table = String::from_utf8_lossy(&again.stdout);
    assert!(table.contains("session/memory"), "{table}");

    let broken = Command::cargo_bin("compare")
        .expect("the compare binary")
        .args(["bench", "--from-json", "/no/such/file.json"])
        .timeout(Duration::from_secs(60))
        .assert();
    assert_eq!(broken.get_output().status.code(), Some(2));
}
