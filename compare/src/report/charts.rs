//! Which measured numbers get a chart, and the bars each chart draws, read
//! from the cells' metrics. A column without its number says why (skipped,
//! failed, not run) and is never drawn as a 0.

use super::{Cell, Metric, Report, ScenarioReport};
use crate::columns::{App, Configuration};

/// One chart: a metric of one scenario, one bar per column.
#[derive(Debug)]
pub struct Chart {
    /// Stable name: the SVG file's (`ID.svg`) and the HTML figure's.
    pub id: &'static str,
    /// The scenario whose cells carry the metric: the chart is drawn in its
    /// section, and not at all when it was not run.
    pub scenario: &'static str,
    pub metric: Metric,
    pub title: &'static str,
    /// How to read the bars, under the title.
    pub reading: &'static str,
}

/// In the order they are drawn.
pub const CHARTS: &[Chart] = &[
    Chart {
        id: "credential-bytes",
        scenario: "credential-size",
        metric: Metric::CredentialBytes,
        title: "Credential bytes sent with every request",
        reading: "the Cookie or Authorization header · shorter is smaller",
    },
    Chart {
        id: "server-bytes-per-login",
        scenario: "server-state",
        metric: Metric::ServerBytesPerLogin,
        title: "Bytes the server stores per login",
        reading: "as the store itself reports · a JWT login stores too",
    },
    Chart {
        id: "role-change-delay",
        scenario: "role-change",
        metric: Metric::DemotionAppliesWithinS,
        title: "Time until a demoted admin loses admin access",
        reading: "no bar: at the very next request · a bar: until the token expires",
    },
    Chart {
        id: "requests-per-second",
        scenario: "throughput",
        metric: Metric::RequestsPerS,
        title: "Requests per second, GET /protected",
        reading: "16 connections, one machine · longer is faster",
    },
    Chart {
        id: "p99-latency",
        scenario: "throughput",
        metric: Metric::P99Ms,
        title: "99th percentile latency, GET /protected",
        reading: "the slowest 1% take at least this · shorter is faster",
    },
];

/// The charts drawn from `scenario`'s cells.
pub fn of_scenario(scenario: &str) -> impl Iterator<Item = &'static Chart> + '_ {
    CHARTS.iter().filter(move |c| c.scenario == scenario)
}

/// Why a column has no bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Not measured on purpose (a Redis column without a Redis).
    Skipped,
    /// The measurement failed: an error cell.
    Failed,
    /// The column has no cell in this scenario.
    NotRun,
    /// The cell has no such number, though nothing failed.
    NoNumber,
}

impl Missing {
    /// What the chart writes where the bar would be.
    pub fn label(self) -> &'static str {
        match self {
            Self::Skipped => "skipped: not measured",
            Self::Failed => "failed: no number",
            Self::NotRun => "not run",
            Self::NoNumber => "no number measured",
        }
    }
}

/// One column of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar<'a> {
    pub column: &'a str,
    /// Which server the column runs, for its colour (`None`: not a known column).
    pub app: Option<App>,
    pub value: Result<f64, Missing>,
}

/// A chart and its bars, in column order.
#[derive(Debug)]
pub struct Series<'a> {
    pub chart: &'static Chart,
    pub bars: Vec<Bar<'a>>,
}

/// `chart`'s bars, or `None` when its scenario was not run.
pub fn series<'a>(report: &'a Report, chart: &'static Chart) -> Option<Series<'a>> {
    let scenario = report.scenarios.iter().find(|s| s.id == chart.scenario)?;
    Some(bars(report, scenario, chart))
}

fn bars<'a>(report: &'a Report, scenario: &'a ScenarioReport, chart: &'static Chart) -> Series<'a> {
    let bars = report
        .cells(scenario)
        .map(|(column, cell)| Bar {
            column,
            app: Configuration::named(column).map(|c| c.app),
            value: cell.map_or(Err(Missing::NotRun), |cell| value(cell, chart.metric)),
        })
        .collect();
    Series { chart, bars }
}

fn value(cell: &Cell, metric: Metric) -> Result<f64, Missing> {
    match cell.metric(metric) {
        Some(v) => Ok(v),
        None if cell.skipped => Err(Missing::Skipped),
        None if !cell.expected => Err(Missing::Failed),
        None => Err(Missing::NoNumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::with_throughput;

    fn chart(id: &str) -> &'static Chart {
        CHARTS.iter().find(|c| c.id == id).expect("a chart")
    }

    #[test]
    fn a_failed_skipped_or_missing_cell_is_no_bar_and_never_zero() {
        let report = with_throughput();
        let series = series(&report, chart("requests-per-second")).expect("throughput ran");
        let values: Vec<(&str, Result<f64, Missing>)> =
            series.bars.iter().map(|b| (b.column, b.value)).collect();
        assert_eq!(
            values,
            [
                ("session/memory", Ok(50_412.0)),
                ("jwt", Err(Missing::Failed)),
                ("session/redis", Err(Missing::Skipped)),
            ]
        );
        assert_eq!(series.bars[0].app, Some(App::Session));
        assert_eq!(series.bars[1].app, Some(App::Jwt));
    }

    #[test]
    fn a_column_without_a_cell_is_not_run_and_one_without_the_number_says_so() {
        let mut report = with_throughput();
        report.scenarios[2].results.truncate(1);
        report.scenarios[2].results[0].1.metrics.clear();
        let series = series(&report, chart("p99-latency")).expect("throughput ran");
        let values: Vec<Result<f64, Missing>> = series.bars.iter().map(|b| b.value).collect();
        assert_eq!(
            values,
            [
                Err(Missing::NoNumber),
                Err(Missing::NotRun),
                Err(Missing::NotRun)
            ]
        );
    }

    #[test]
    fn a_scenario_that_was_not_run_has_no_chart() {
        let report = with_throughput();
        assert!(series(&report, chart("credential-bytes")).is_none());
    }
}
