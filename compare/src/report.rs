//! The measured table and its three renderings. The JSON is the stable,
//! versioned interface; the table and the markdown are for people.
//!
//! JSON, version 1: `{version, machine, configurations, scenarios}`; each
//! scenario is `{id, title, claim, lesson, results}`, and `results` maps each
//! configuration, in column order, to a cell `{outcome, value, expected}`. A
//! cell that was not measured (a Redis column when no Redis was found) also
//! carries `"skipped": true`, with `"value": null`, `"expected": true` and an
//! `outcome` that says why and how to get what was missing; measured cells
//! have no `skipped` field. `machine.redis` says which Redis the Redis columns
//! used (`null` when none of them ran).

use comfy_table::{ContentArrangement, Table, presets};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

/// Bumped whenever a field of the JSON changes meaning or goes away.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub machine: Machine,
    pub configurations: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
}

/// Where and how the numbers were taken: speeds mean little without it.
#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub id: String,
    pub title: String,
    pub claim: String,
    pub lesson: String,
    /// In column order: a JSON object whose keys keep the table's order.
    #[serde(serialize_with = "ordered_map")]
    pub results: Vec<(String, Cell)>,
}

/// One measured cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Short text for the table.
    pub outcome: String,
    /// The number or HTTP status the outcome rests on.
    pub value: Value,
    /// Whether this is what the contract says must happen.
    pub expected: bool,
    /// Not measured (a Redis column without a Redis): serialized only when
    /// true, so a measured cell keeps the three fields of version 1.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl Cell {
    pub fn new(outcome: impl Into<String>, value: impl Into<Value>, expected: bool) -> Self {
        Self {
            outcome: outcome.into(),
            value: value.into(),
            expected,
            skipped: false,
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

impl Report {
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

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.table(TABLE_WIDTH),
            Format::Markdown => self.markdown(),
            Format::Json => {
                let mut json = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
                    format!("{{\"error\": \"cannot render the report: {e}\"}}")
                });
                json.push('\n');
                json
            }
        }
    }

    fn cell<'a>(&'a self, scenario: &'a ScenarioReport, config: &str) -> Option<&'a Cell> {
        scenario
            .results
            .iter()
            .find(|(c, _)| c == config)
            .map(|(_, cell)| cell)
    }

    /// One row per scenario: its numbered title, then its cells in column
    /// order, each through `text`; `mark` goes before a cell the contract
    /// rules out.
    fn rows(&self, mark: &str, text: impl Fn(&str) -> String) -> Vec<Vec<String>> {
        self.scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut row = vec![format!("{}. {}", i + 1, text(&s.title))];
                row.extend(
                    self.configurations
                        .iter()
                        .map(|config| match self.cell(s, config) {
                            Some(cell) if cell.expected => text(&cell.outcome),
                            Some(cell) => format!("{mark}{}", text(&cell.outcome)),
                            None => "not run".to_owned(),
                        }),
                );
                row
            })
            .collect()
    }

    /// Plain text that fits `width` characters: the cells in a grid, then
    /// each scenario's lesson in a second one (comfy-table spans no column, so
    /// a lesson cannot take a whole line under its row).
    pub fn table(&self, width: usize) -> String {
        let width = u16::try_from(width).unwrap_or(u16::MAX);
        let mut cells = grid(width);
        // Each part of a name goes on a line of its own (`jwt+`, `denylist/`,
        // `redis`), so that every column fits and no name is cut inside a word.
        cells.set_header(
            std::iter::once("scenario".to_owned()).chain(
                self.configurations
                    .iter()
                    .map(|c| c.replace('/', "/\n").replace('+', "+\n")),
            ),
        );
        for row in self.rows("✗ ", str::to_owned) {
            cells.add_row(row);
        }
        let mut lessons = grid(width);
        lessons.set_header(["scenario", "what it shows"]);
        for (i, s) in self.scenarios.iter().enumerate() {
            lessons.add_row([format!("{}. {}", i + 1, s.title), format!("→ {}", s.lesson)]);
        }
        let mut out = format!(
            "compare: server-side sessions vs JWTs, measured\n{}\n\n{cells}\n{lessons}\n",
            paragraph(&self.machine.summary(), width)
        );
        let unexpected = self.unexpected();
        let skipped = self.skipped();
        if let Some(first) = skipped.first() {
            let line = format!("{} cell(s) not measured ({})", skipped.len(), first.outcome);
            out.push_str(&paragraph(&line, width));
            out.push('\n');
        }
        if unexpected.is_empty() {
            out.push_str(if skipped.is_empty() {
                "Every cell is what the contract says.\n"
            } else {
                "Every measured cell is what the contract says.\n"
            });
        } else {
            out.push_str(&format!(
                "✗ {} cell(s) differ from the contract: {}\n",
                unexpected.len(),
                unexpected.join("; ")
            ));
        }
        out
    }

    /// A GitHub table of the cells, then each scenario's claim and lesson.
    pub fn markdown(&self) -> String {
        let mut cells = Table::new();
        cells.load_preset(presets::ASCII_MARKDOWN).set_header(
            std::iter::once("scenario".to_owned())
                .chain(self.configurations.iter().map(|c| md_escape(c))),
        );
        for row in self.rows("**✗** ", md_escape) {
            cells.add_row(row);
        }
        let mut out = format!(
            "Measured by `cargo compare` on {}.\n\n{cells}\n\n",
            self.machine.summary()
        );
        for (i, s) in self.scenarios.iter().enumerate() {
            out.push_str(&format!(
                "{}. **{}**. Claimed: {} Measured: {}\n",
                i + 1,
                md_escape(&s.title),
                s.claim,
                s.lesson
            ));
        }
        out
    }
}

const TABLE_WIDTH: usize = 120;

/// A bordered table whose columns wrap their words to fit `width`.
fn grid(width: u16) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    table
}

/// `text` in lines of at most `width` characters, broken between words.
fn paragraph(text: &str, width: u16) -> String {
    let mut table = grid(width);
    table.load_preset(presets::NOTHING).add_row([text]);
    if let Some(column) = table.column_mut(0) {
        column.set_padding((0, 0));
    }
    table.trim_fmt()
}

/// A cell's text kept on one line of one Markdown cell.
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Report {
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
        Report {
            version: VERSION,
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
                ScenarioReport {
                    id: "logout-replay".into(),
                    title: "Logout, then replay".into(),
                    claim: "JWTs cannot be revoked.".into(),
                    lesson: "The loophole is real.".into(),
                    results: cells(401, 200),
                },
                ScenarioReport {
                    id: "tampering".into(),
                    title: "Tampering".into(),
                    claim: "Signed tokens cannot be forged.".into(),
                    lesson: "Both refuse.".into(),
                    results: cells(401, 401),
                },
            ],
        }
    }

    #[test]
    fn json_has_the_versioned_shape_with_results_in_column_order() {
        let text = sample().render(Format::Json);
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
    fn markdown_is_a_table_with_one_row_per_scenario() {
        let md = sample().markdown();
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(rows.len(), 2 + 2, "header, separator and two scenarios");
        assert_eq!(
            rows[0],
            "| scenario               | session/memory   | jwt                      |"
        );
        assert_eq!(
            rows[1],
            "|------------------------|------------------|--------------------------|"
        );
        assert!(rows[2].starts_with("| 1. Logout, then replay | 401 after logout |"));
        assert!(
            rows[3].contains("**✗** 200 \\| still works"),
            "unexpected cells are marked and pipes escaped: {}",
            rows[3]
        );
        for row in &rows {
            let cells = row.matches('|').count() - row.matches("\\|").count();
            assert_eq!(cells, 4, "every row has the same columns: {row}");
        }
        assert!(md.contains(
            "1. **Logout, then replay**. Claimed: JWTs cannot be revoked. Measured: The loophole"
        ));
    }

    #[test]
    fn table_fits_the_width_and_names_unexpected_cells() {
        let table = sample().table(120);
        for line in table.lines() {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        assert!(table.contains("→ The loophole is real."));
        assert!(table.contains("✗ 200 | still works"));
        assert_eq!(
            sample().unexpected(),
            vec!["tampering/jwt: 200 | still works"]
        );
    }

    #[test]
    fn a_skipped_cell_says_so_in_json_and_in_the_table() {
        let mut report = sample();
        report.configurations.push("session/redis".into());
        report.scenarios[0].results.push((
            "session/redis".into(),
            Cell::skipped("skipped: no Redis — set REDIS_URL"),
        ));
        let v: Value = serde_json::from_str(&report.render(Format::Json)).expect("valid JSON");
        assert_eq!(
            v["scenarios"][0]["results"]["session/redis"],
            json!({"outcome": "skipped: no Redis — set REDIS_URL", "value": null,
                   "expected": true, "skipped": true})
        );
        assert!(v["scenarios"][0]["results"]["jwt"].get("skipped").is_none());
        let table = report.table(120);
        for line in table.lines() {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        assert!(table.contains("1 cell(s) not measured (skipped: no Redis — set REDIS_URL)"));
        assert!(!table.contains("✗ skipped"));
        assert_eq!(report.skipped().len(), 1);
    }

    #[test]
    fn every_column_fits_and_long_names_break_after_a_slash_or_plus() {
        let mut report = sample();
        report.configurations = crate::configs::configuration_names()
            .map(str::to_owned)
            .collect();
        let table = report.table(120);
        for line in table.lines() {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        // The header's cells, line by line, without the borders.
        let head: Vec<Vec<&str>> = table
            .lines()
            .skip_while(|l| !l.starts_with("│ scenario"))
            .take_while(|l| !l.starts_with('╞'))
            .map(|l| l.split(['│', '┆']).map(str::trim).collect())
            .collect();
        for (i, name) in report.configurations.iter().enumerate() {
            let parts: Vec<&str> = head
                .iter()
                .map(|line| line[i + 2])
                .filter(|p| !p.is_empty())
                .collect();
            assert_eq!(parts.concat(), *name, "{head:?}");
            for part in &parts[..parts.len() - 1] {
                assert!(
                    part.ends_with(['/', '+']),
                    "{name} cut inside a word: {parts:?}"
                );
            }
        }
        let column = report
            .configurations
            .iter()
            .position(|c| c == "jwt+denylist/redis")
            .expect("the column");
        let parts: Vec<&str> = head.iter().map(|line| line[column + 2]).collect();
        assert_eq!(parts, ["jwt+", "denylist/", "redis"], "{head:?}");
    }

    #[test]
    fn paragraph_keeps_words_and_cuts_only_long_ones() {
        assert_eq!(paragraph("a bb ccc", 4), "a bb\nccc");
        assert_eq!(paragraph("abcdefgh", 3), "abc\ndef\ngh");
        assert_eq!(paragraph("", 5), "");
    }
}
