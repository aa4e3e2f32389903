//! The bench's ratios as SVG charts (`compare bench --charts DIR`), drawn
//! by the report's plot code so that they look like the report's charts: one
//! bar per row, its ratio written at its end, a row without its number
//! saying why instead of showing a 0.

use std::path::{Path, PathBuf};

use super::{BenchReport, RowResult, rows};
use crate::{
    columns::App,
    report::{
        charts::{Bar, Missing},
        plot::{self, Figure, Scale},
    },
};

/// One chart of the bench: a ratio of every row that has one.
pub struct BenchChart {
    /// The SVG's file name, without `.svg`.
    pub id: &'static str,
    title: &'static str,
    reading: &'static str,
    /// The ratio drawn.
    value: fn(&RowResult) -> Option<f64>,
    /// Whether the bare rows are drawn: they have no counterpart of their own.
    bare_rows: bool,
}

pub const CHARTS: [BenchChart; 2] = [
    BenchChart {
        id: "bench-vs-bare",
        title: "× bare counterpart, GET /protected",
        reading: "rate over the same library work alone · 1× = nothing of ours costs",
        value: |r| r.vs_counterpart,
        bare_rows: false,
    },
    BenchChart {
        id: "bench-vs-route",
        title: "× bare route, GET /protected",
        reading: "rate over an axum route and its JSON · longer is faster",
        value: |r| r.vs_route,
        bare_rows: true,
    },
];

/// Ratios as people read them in the bench's tables: `0.77×`.
struct Ratio;

impl Scale for Ratio {
    fn show(&self, value: f64) -> String {
        format!("{value:.2}×")
    }

    fn tick(&self, value: f64) -> String {
        let text = format!("{value:.2}");
        format!("{}×", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Grey is the bare servers: neither app, only a library.
const LEGEND: &[(&str, Option<App>)] = &[
    ("session-app", Some(App::Session)),
    ("jwt-app", Some(App::Jwt)),
    ("bare", None),
];

/// Writes every chart to `dir/ID.svg` (making `dir` if needed); the files written.
pub fn write(report: &BenchReport, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let footnote = footnote(report);
    let mut written = Vec::new();
    for chart in &CHARTS {
        let path = dir.join(format!("{}.svg", chart.id));
        std::fs::write(&path, svg(report, chart, &footnote))?;
        written.push(path);
    }
    Ok(written)
}

/// `chart` of `report` as an SVG document.
pub fn svg(report: &BenchReport, chart: &BenchChart, footnote: &str) -> String {
    let bars = bars(report, chart);
    plot::svg(
        &Figure {
            title: chart.title,
            reading: chart.reading,
            scale: &Ratio,
            bars: &bars,
            // Grey only where bare rows are drawn.
            legend: if chart.bare_rows { LEGEND } else { plot::APPS },
        },
        footnote,
    )
}

fn bars<'a>(report: &'a BenchReport, chart: &BenchChart) -> Vec<Bar<'a>> {
    let known = rows::all();
    report
        .rows
        .iter()
        .filter(|r| chart.bare_rows || r.counterpart.is_some())
        .map(|r| Bar {
            column: &r.name,
            // Looked up by name, so that a saved JSON colours its rows too.
            app: known
                .iter()
                .find(|k| k.name == r.name)
                .and_then(|k| match k.subject {
                    rows::Subject::Column { config, .. } => Some(config.app),
                    rows::Subject::Bare(_) => None,
                }),
            value: match (chart.value)(r) {
                Some(v) if v.is_finite() => Ok(v),
                _ if r.skipped.is_some() => Err(Missing::Skipped),
                _ if r.error.is_some() => Err(Missing::Failed),
                _ => Err(Missing::NoNumber),
            },
        })
        .collect()
}

/// Which run the chart shows, under it.
fn footnote(report: &BenchReport) -> String {
    let m = &report.machine;
    let s = &report.settings;
    format!(
        "auth-compare · compare bench · {} · {} build · {} cores · {} round(s) of {:.1} s, \
         {} connections · {}",
        if m.quick {
            "QUICK run (not for numbers)"
        } else {
            "full run"
        },
        m.profile,
        m.cores,
        s.rounds,
        s.seconds_per_round,
        s.connections,
        m.date.get(..10).unwrap_or(&m.date),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_their_ticks_read_as_in_the_tables() {
        assert_eq!(Ratio.show(0.7712), "0.77×");
        assert_eq!(Ratio.tick(0.5), "0.5×");
        assert_eq!(Ratio.tick(1.0), "1×");
        assert_eq!(Ratio.tick(0.25), "0.25×");
    }

    fn report() -> BenchReport {
        let row = |name: &str, counterpart: Option<&str>, vs: Option<f64>| {
            let mut row: RowResult =
                serde_json::from_value(serde_json::json!({"name": name, "errors": 0}))
                    .expect("a row");
            row.counterpart = counterpart.map(str::to_owned);
            row.vs_counterpart = vs;
            row.vs_route = vs.map(|v| v / 2.0);
            row
        };
        let mut skipped = row("session/redis", Some("bare/session-redis"), None);
        skipped.skipped = Some("skipped: no Redis".into());
        let mut failed = row("jwt", Some("bare/hs256"), None);
        failed.error = Some("it broke".into());
        let settings = serde_json::json!({
            "connections": 16, "rounds": 1, "seconds_per_round": 0.3,
            "warm_up_seconds": 0.1, "server_log": "info", "wrk": false,
        });
        BenchReport {
            machine: crate::report::Machine::here(4, true),
            settings: serde_json::from_value(settings).expect("settings"),
            rows: vec![
                row("bare/route", None, Some(2.0)),
                row("session/memory", Some("bare/session-memory"), Some(0.77)),
                skipped,
                failed,
            ],
            flood: Vec::new(),
            wrk: Vec::new(),
            memory: Vec::new(),
        }
    }

    #[test]
    fn a_row_without_its_ratio_says_why_and_bare_rows_only_against_the_route() {
        let report = report();
        let values = |chart: &BenchChart| -> Vec<(String, Option<App>, Result<f64, Missing>)> {
            bars(&report, chart)
                .into_iter()
                .map(|b| (b.column.to_owned(), b.app, b.value))
                .collect()
        };
        assert_eq!(
            values(&CHARTS[0]),
            [
                ("session/memory".into(), Some(App::Session), Ok(0.77)),
                (
                    "session/redis".into(),
                    Some(App::Session),
                    Err(Missing::Skipped)
                ),
                ("jwt".into(), Some(App::Jwt), Err(Missing::Failed)),
            ]
        );
        assert_eq!(values(&CHARTS[1])[0], ("bare/route".into(), None, Ok(1.0)));
        let svg = svg(&report, &CHARTS[0], "a footnote");
        assert!(svg.contains("\n0.77×\n</text>"), "{svg}");
    }
}
