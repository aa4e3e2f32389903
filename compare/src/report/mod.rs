//! The measured table and its renderings. The JSON is the stable, versioned
//! interface; the table, the markdown and the HTML page (with its charts) are
//! for people.
//!
//! JSON, version 1: `{version, machine, configurations, scenarios}`; each
//! scenario is `{id, title, claim, lesson, results}`, and `results` maps each
//! configuration, in column order, to a cell `{outcome, value, expected}`. A
//! cell whose outcome rests on named numbers also has `metrics`, an object of
//! them keyed by [`Metric::key`] (`{"requests_per_s": 50412.3, "p99_ms":
//! 0.81}`); cells without any have no `metrics` field. A cell that was not
//! measured (a Redis column when no Redis was found) also carries
//! `"skipped": true`, with `"value": null`, `"expected": true` and an
//! `outcome` that says why and how to get what was missing; measured cells
//! have no `skipped` field. A cell whose outcome rests on more than one HTTP
//! status also has `statuses`, an object of them keyed by what was asked
//! (`{"after_restart": 200, "revoked_after_restart": 401}`). `machine.redis`
//! says which Redis the Redis columns used (`null` when none of them ran).
//!
//! Each scenario also has `claim_verdict` (added in version 1 without
//! changing any other key): the verdict on the articles' claim that the rules
//! of [`verdict`] draw from the cells, `{verdict, words, why, numbers?,
//! cells}`, where `verdict` is one of `holds`, `false_in_practice`,
//! `half_true`, `holds_with_a_catch`, `not_measured`, and `cells` maps each
//! column to what its outcome means for the user, `{tone, label, shown}`.

pub mod charts;
mod escape;
pub mod html;
pub mod matrix;
mod metric;
pub mod plot;
pub mod sequence;
mod table;
pub mod verdict;

pub use metric::Metric;
pub use table::{CLAIMS_BEGIN, CLAIMS_END};
pub use verdict::{ClaimVerdict, Verdict};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

/// Bumped whenever a field of the JSON changes meaning or goes away.
pub const VERSION: u32 = 1;

/// Read back from its JSON (`Report::from_json`), a report has its
/// verdicts drawn again by the rules, never taken from the text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub machine: Machine,
    pub configurations: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
    /// The scenarios this run left out (`--scenario`), for the page to say
    /// so; the JSON lists what was run.
    #[serde(skip)]
    pub left_out: Vec<&'static str>,
}

/// Where and how the numbers were taken: speeds mean little without it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub os: String,
    pub arch: String,
    pub cpu: Option<String>,
    pub bcrypt_cost: u32,
    pub quick: bool,
    /// `release` or `debug`: the servers run in the harness's own build.
    pub profile: String,
    pub date: String,
    /// Which Redis the Redis columns used, or why none (`None`: no Redis
    /// column was run).
    pub redis: Option<String>,
}

impl Machine {
    pub fn here(bcrypt_cost: u32, quick: bool) -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            });
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            cpu,
            bcrypt_cost,
            quick,
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
            date,
            redis: None,
        }
    }

    /// One line for the head of the table.
    pub fn summary(&self) -> String {
        format!(
            "{} cores{} · {}/{} · bcrypt cost {} · {} run · {} build · {}{}",
            self.cores,
            self.cpu
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            self.os,
            self.arch,
            self.bcrypt_cost,
            if self.quick { "quick" } else { "full" },
            self.profile,
            self.date,
            self.redis
                .as_deref()
                .map(|r| format!(" · Redis: {r}"))
                .unwrap_or_default()
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub id: String,
    pub title: String,
    pub claim: String,
    pub lesson: String,
    /// In column order: a JSON object whose keys keep the table's order.
    #[serde(serialize_with = "ordered_map", deserialize_with = "map_in_order")]
    pub results: Vec<(String, Cell)>,
    /// The verdict on `claim`, drawn from `results` by [`verdict::judge`]
    /// ([`Report::judge`]); not measured until then.
    #[serde(skip_deserializing)]
    pub claim_verdict: ClaimVerdict,
}

impl ScenarioReport {
    /// A scenario's report, its verdict not drawn yet ([`Report::judge`]).
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        claim: impl Into<String>,
        lesson: impl Into<String>,
        results: Vec<(String, Cell)>,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            claim: claim.into(),
            lesson: lesson.into(),
            results,
            claim_verdict: ClaimVerdict::default(),
        }
    }
}

/// One measured cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Short text for the table.
    pub outcome: String,
    /// The number or HTTP status the outcome rests on.
    pub value: Value,
    /// Whether this is what the contract says must happen.
    pub expected: bool,
    /// Not measured (a Redis column without a Redis): serialized only when
    /// true, so a measured cell keeps the three fields of version 1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// The numbers the outcome states, for charts: only what was measured,
    /// so a failed or skipped cell has none (never a 0 that means "unknown").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<Metric, f64>,
    /// The HTTP statuses the outcome rests on besides `value`, keyed by what
    /// was asked (`after_logout_on_b`), for the claim's rules to read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<String, u16>,
}

impl Cell {
    pub fn new(outcome: impl Into<String>, value: impl Into<Value>, expected: bool) -> Self {
        Self {
            outcome: outcome.into(),
            value: value.into(),
            expected,
            skipped: false,
            metrics: BTreeMap::new(),
            statuses: BTreeMap::new(),
        }
    }

    /// This cell, with the status `what` answered.
    pub fn status(mut self, what: &str, status: u16) -> Self {
        self.statuses.insert(what.to_owned(), status);
        self
    }

    /// The status `what` answered, if it was asked.
    pub fn status_of(&self, what: &str) -> Option<u16> {
        self.statuses.get(what).copied()
    }

    /// `value` as an HTTP status, when it is one.
    pub fn http_status(&self) -> Option<u16> {
        self.value
            .as_u64()
            .and_then(|v| u16::try_from(v).ok())
            .filter(|v| (100..600).contains(v))
    }

    /// This cell, with `metric` measured at `value`. A value that is not a
    /// number (NaN, infinite) was not measured, and is left out.
    pub fn with(mut self, metric: Metric, value: f64) -> Self {
        if value.is_finite() {
            self.metrics.insert(metric, value);
        }
        self
    }

    pub fn metric(&self, metric: Metric) -> Option<f64> {
        self.metrics.get(&metric).copied()
    }

    /// A cell that was not measured, and `outcome` says why. Not a breach of
    /// the contract (`expected` stays true): the run says so on stderr, and
    /// under `CI=true` does not get this far.
    pub fn skipped(outcome: impl Into<String>) -> Self {
        Self {
            skipped: true,
            ..Self::new(outcome, Value::Null, true)
        }
    }

    /// A cell that could not be measured: never what the contract says.
    pub fn error(e: &anyhow::Error) -> Self {
        let first = format!("{e:#}");
        let first = first.lines().next().unwrap_or_default();
        let short: String = first.chars().take(160).collect();
        Self::new(format!("error: {short}"), Value::Null, false)
    }
}

fn ordered_map<S: Serializer>(results: &[(String, Cell)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(results.len()))?;
    for (k, v) in results {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// The JSON object of `results` back into its pairs, in the document's order.
fn map_in_order<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, Cell)>, D::Error> {
    struct InOrder;
    impl<'de> serde::de::Visitor<'de> for InOrder {
        type Value = Vec<(String, Cell)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of cells keyed by column")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(InOrder)
}

/// How the comparison table is printed (`compare --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Markdown,
    Json,
    /// One self-contained page (inline CSS and SVG charts) to project or print.
    Html,
}

impl ReportFormat {
    /// Whether the rendering is a document for a program (a parser, a
    /// browser): nothing else may be printed into it.
    pub fn is_document(self) -> bool {
        matches!(self, Self::Json | Self::Html)
    }
}

impl Report {
    /// Draws each scenario's claim verdict from its cells ([`verdict::judge`]).
    pub fn judge(&mut self) {
        let verdicts: Vec<ClaimVerdict> = self
            .scenarios
            .iter()
            .map(|s| verdict::judge(self, s))
            .collect();
        for (s, v) in self.scenarios.iter_mut().zip(verdicts) {
            s.claim_verdict = v;
        }
    }

    /// A report read back from its JSON, its verdicts drawn again by the
    /// rules from the cells.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        let mut report: Self = serde_json::from_str(json)?;
        report.judge();
        Ok(report)
    }

    /// `scenario/configuration: outcome` for every cell the contract rules out.
    pub fn unexpected(&self) -> Vec<String> {
        self.scenarios
            .iter()
            .flat_map(|s| {
                s.results
                    .iter()
                    .filter(|(_, cell)| !cell.expected)
                    .map(move |(config, cell)| format!("{}/{config}: {}", s.id, cell.outcome))
            })
            .collect()
    }

    /// The cells that were not measured.
    pub fn skipped(&self) -> Vec<&Cell> {
        self.scenarios
            .iter()
            .flat_map(|s| s.results.iter().map(|(_, cell)| cell))
            .filter(|cell| cell.skipped)
            .collect()
    }

    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Table => self.table(table::WIDTH),
            ReportFormat::Markdown => self.markdown(),
            ReportFormat::Json => {
                let mut json = self.json();
                json.push('\n');
                json
            }
            ReportFormat::Html => html::page(self),
        }
    }

    fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot render the report: {e}\"}}"))
    }

    /// `scenario`'s cell in each column, in column order; `None` where that
    /// column has none (it was not run).
    pub fn cells<'a>(
        &'a self,
        scenario: &'a ScenarioReport,
    ) -> impl Iterator<Item = (&'a str, Option<&'a Cell>)> + 'a {
        self.configurations.iter().map(|config| {
            let cell = scenario
                .results
                .iter()
                .find(|(c, _)| c == config)
                .map(|(_, cell)| cell);
            (config.as_str(), cell)
        })
    }

    /// What the run says about the contract as a whole, in sentences: the
    /// cells not measured, if any, then whether every cell is as the contract
    /// says or which are not.
    pub fn verdict(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let skipped = self.skipped();
        if let Some(first) = skipped.first() {
            lines.push(format!(
                "{} cell(s) not measured ({})",
                skipped.len(),
                first.outcome
            ));
        }
        let unexpected = self.unexpected();
        lines.push(if unexpected.is_empty() {
            if skipped.is_empty() {
                "Every cell is what the contract says.".to_owned()
            } else {
                "Every measured cell is what the contract says.".to_owned()
            }
        } else {
            format!(
                "✗ {} cell(s) differ from the contract: {}",
                unexpected.len(),
                unexpected.join("; ")
            )
        });
        lines
    }
}

/// What a cell without a column's measurement says in every rendering.
pub const NOT_RUN: &str = "not run";

#[cfg(test)]
mod sample;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_has_the_versioned_shape_with_results_in_column_order() {
        let text = sample::report().render(ReportFormat::Json);
        let v: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["version"], 1);
        assert_eq!(v["machine"]["cores"], 2);
        assert_eq!(v["machine"]["bcrypt_cost"], 10);
        assert_eq!(v["configurations"], json!(["session/memory", "jwt"]));
        let s = &v["scenarios"][0];
        for key in ["id", "title", "claim", "lesson", "results"] {
            assert!(s.get(key).is_some(), "missing {key}");
        }
        assert_eq!(
            s["results"]["session/memory"],
            json!({"outcome": "401 after logout", "value": 401, "expected": true})
        );
        assert_eq!(s["results"]["jwt"]["value"], 200);
        assert!(v["machine"]["redis"].is_null());
        let memory = text.find("\"session/memory\": {").expect("session cell");
        let jwt = text.find("\"jwt\": {").expect("jwt cell");
        assert!(memory < jwt, "results keep the column order");
    }

    #[test]
    fn a_skipped_cell_says_so_in_json() {
        let report = sample::with_skipped_column();
        let v: Value =
            serde_json::from_str(&report.render(ReportFormat::Json)).expect("valid JSON");
        assert_eq!(
            v["scenarios"][0]["results"]["session/redis"],
            json!({"outcome": "skipped: no Redis — set REDIS_URL", "value": null,
                   "expected": true, "skipped": true})
        );
        assert!(v["scenarios"][0]["results"]["jwt"].get("skipped").is_none());
        assert_eq!(report.skipped().len(), 1);
    }

    #[test]
    fn metrics_are_an_object_keyed_by_name_and_only_where_measured() {
        let mut report = sample::report();
        let cell = &mut report.scenarios[0].results[0].1;
        *cell = cell
            .clone()
            .with(Metric::P99Ms, 0.81)
            .with(Metric::RequestsPerS, 50_412.0)
            .with(Metric::CredentialBytes, f64::NAN);
        let v: Value =
            serde_json::from_str(&report.render(ReportFormat::Json)).expect("valid JSON");
        let results = &v["scenarios"][0]["results"];
        assert_eq!(
            results["session/memory"]["metrics"],
            json!({"requests_per_s": 50412.0, "p99_ms": 0.81}),
            "a NaN is not a measurement"
        );
        assert!(results["jwt"].get("metrics").is_none());
        let cells: Vec<(&str, Option<f64>)> = report
            .cells(&report.scenarios[0])
            .map(|(c, cell)| (c, cell.and_then(|c| c.metric(Metric::P99Ms))))
            .collect();
        assert_eq!(cells, [("session/memory", Some(0.81)), ("jwt", None)]);
    }

    #[test]
    fn cells_follow_the_columns_and_say_which_a_scenario_lacks() {
        let report = sample::with_skipped_column();
        let second: Vec<(&str, bool)> = report
            .cells(&report.scenarios[1])
            .map(|(c, cell)| (c, cell.is_some()))
            .collect();
        assert_eq!(
            second,
            [
                ("session/memory", true),
                ("jwt", true),
                ("session/redis", false)
            ]
        );
    }
}
