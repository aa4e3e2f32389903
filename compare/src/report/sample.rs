//! A small report for the renderings' unit tests: two columns, two
//! scenarios, one cell the contract rules out.

use super::{Cell, Machine, Metric, Report, ScenarioReport, VERSION};

pub fn report() -> Report {
    let cells = |a: u16, b: u16| {
        vec![
            (
                "session/memory".to_owned(),
                Cell::new("401 after logout", a, true),
            ),
            (
                "jwt".to_owned(),
                Cell::new("200 | still works", b, b == 200),
            ),
        ]
    };
    let mut report = Report {
        version: VERSION,
        // As `run` would list them: the table's scenarios this sample lacks.
        left_out: vec!["login", "credential-size", "server-state", "throughput"],
        machine: Machine {
            cores: 2,
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu: None,
            bcrypt_cost: 10,
            quick: true,
            profile: "debug".into(),
            date: "2026-11-01T00:00:00Z".into(),
            redis: None,
        },
        configurations: vec!["session/memory".into(), "jwt".into()],
        scenarios: vec![
            ScenarioReport::new(
                "logout-replay",
                "Logout, then replay",
                "JWTs cannot be revoked.",
                "The loophole is real.",
                cells(401, 200),
            ),
            ScenarioReport::new(
                "tampering",
                "Tampering",
                "Signed tokens cannot be forged.",
                "Both refuse.",
                cells(401, 401),
            ),
        ],
    };
    report.judge();
    report
}

/// [`report`] with a third column, session/redis, skipped in the first
/// scenario for want of a Redis (and absent from the second).
pub fn with_skipped_column() -> Report {
    let mut report = report();
    report.configurations.push("session/redis".into());
    report.scenarios[0].results.push((
        "session/redis".into(),
        Cell::skipped("skipped: no Redis — set REDIS_URL"),
    ));
    report.judge();
    report
}

/// The sample, with a throughput row: session/memory measured, jwt failed,
/// session/redis skipped.
pub fn with_throughput() -> Report {
    let mut report = with_skipped_column();
    report.scenarios.push(ScenarioReport::new(
        "throughput",
        "Speed",
        "JWTs are faster.",
        "Not measurably.",
        vec![
            (
                "session/memory".into(),
                Cell::new("50.4k req/s", 50_412, true)
                    .with(Metric::RequestsPerS, 50_412.0)
                    .with(Metric::P99Ms, 0.81),
            ),
            (
                "jwt".into(),
                Cell::error(&anyhow::anyhow!("the server did not start")),
            ),
            (
                "session/redis".into(),
                Cell::skipped("skipped: no Redis — set REDIS_URL"),
            ),
        ],
    ));
    report.judge();
    report
}
