//! `compare bench --quick`, the real binary against real servers: every row
//! and the flood come back with numbers and ratios. A functional test: it
//! asserts that the bench works, never how fast anything is.

use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

const ROWS: [&str; 15] = [
    "bare/route",
    "bare/session-memory",
    "bare/session-sqlite",
    "bare/session-redis",
    "bare/hs256",
    "bare/eddsa",
    "bare/hs256+redis",
    "session/memory",
    "session/sqlite",
    "session/redis",
    "jwt",
    "jwt+denylist",
    "jwt+denylist/redis",
    "jwt/cookie",
    "jwt/eddsa",
];
const REDIS_ROWS: [&str; 4] = [
    "bare/session-redis",
    "bare/hs256+redis",
    "session/redis",
    "jwt+denylist/redis",
];

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|n| n > 0.0 && n.is_finite())
}

#[test]
fn quick_bench_measures_every_row_with_ratios() {
    let run = Command::cargo_bin("compare")
        .expect("the compare binary")
        .args(["bench", "--quick", "--flood-cost", "4", "--format", "json"])
        .timeout(Duration::from_secs(600))
        .assert();
    let out = run.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "compare bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let rows = report["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    for name in ROWS {
        assert!(names.contains(&name), "no row {name}: {names:?}");
    }
    assert!(
        names.iter().any(|n| n.ends_with("unknown path")),
        "{names:?}"
    );
    for row in rows {
        let name = row["name"].as_str().unwrap_or_default();
        if REDIS_ROWS.contains(&name) && row["skipped"].is_string() {
            assert!(
                !testbed::ci::in_ci(),
                "{name} skipped under CI: {}",
                row["skipped"]
            );
            eprintln!("SKIPPED: {name}: {}", row["skipped"]);
            continue;
        }
        for field in ["requests_per_s", "p50_ms", "p90_ms", "p99_ms", "vs_route"] {
            assert!(positive(&row[field]), "{name}.{field}: {row}");
        }
        if !name.starts_with("bare/") {
            assert!(positive(&row["vs_counterpart"]), "{name}: {row}");
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
}
