//! The two renderings made of text: a plain-text grid for the terminal and a
//! GitHub table for the README.

use comfy_table::{ContentArrangement, Table, presets};

use super::{NOT_RUN, Report};

impl Report {
    /// One row per scenario: its numbered title, then its cells in column
    /// order, each through `text`; `mark` goes before a cell the contract
    /// rules out.
    fn rows(&self, mark: &str, text: impl Fn(&str) -> String) -> Vec<Vec<String>> {
        self.scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut row = vec![format!("{}. {}", i + 1, text(&s.title))];
                row.extend(self.cells(s).map(|(_, cell)| match cell {
                    Some(cell) if cell.expected => text(&cell.outcome),
                    Some(cell) => format!("{mark}{}", text(&cell.outcome)),
                    None => NOT_RUN.to_owned(),
                }));
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
        for line in self.verdict() {
            out.push_str(&paragraph(&line, width));
            out.push('\n');
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
            "Measured by `cargo compare` on {}.\n\n{cells}\n\n{}\n",
            self.machine.summary(),
            self.claims_markdown()
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

impl Report {
    /// The articles' claims and the verdict the rules draw on each, a GitHub
    /// table with no timing in it: the README's, between
    /// [`CLAIMS_BEGIN`] and [`CLAIMS_END`].
    pub fn claims_markdown(&self) -> String {
        let mut out =
            String::from("| the articles say | verdict | what was measured |\n|---|---|---|\n");
        for s in &self.scenarios {
            let v = &s.claim_verdict;
            out.push_str(&format!(
                "| \"{}\" | **{}** | {} |\n",
                md_escape(s.claim.trim_end_matches('.')),
                v.verdict.words(),
                md_escape(&v.why)
            ));
        }
        out
    }
}

/// The markers around the README's table of verdicts.
pub const CLAIMS_BEGIN: &str =
    "<!-- verdicts:begin (cargo compare --format markdown; checked by compare/tests/quick.rs) -->";
pub const CLAIMS_END: &str = "<!-- verdicts:end -->";

/// Columns of the plain-text table: what a terminal of the workshop shows.
pub const WIDTH: usize = 120;

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
    use crate::report::sample;

    #[test]
    fn markdown_is_a_table_with_one_row_per_scenario() {
        let md = sample::report().markdown();
        let rows: Vec<&str> = md
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .collect();
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
    fn markdown_ends_with_the_claims_and_their_verdicts_without_timing() {
        let report = sample::with_throughput();
        let md = report.markdown();
        let claims = report.claims_markdown();
        assert!(md.contains(&claims), "the markdown holds the claims table");
        let rows: Vec<&str> = claims.lines().collect();
        assert_eq!(
            rows[0],
            "| the articles say | verdict | what was measured |"
        );
        assert_eq!(rows.len(), 2 + report.scenarios.len());
        assert!(
            rows[2].starts_with("| \"JWTs cannot be revoked\" | **"),
            "{}",
            rows[2]
        );
        assert!(
            !claims.contains("req/s") && !claims.contains("50"),
            "{claims}"
        );
    }

    #[test]
    fn table_fits_the_width_and_names_unexpected_cells() {
        let table = sample::report().table(120);
        for line in table.lines() {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        assert!(table.contains("→ The loophole is real."));
        assert!(table.contains("✗ 200 | still works"));
        assert_eq!(
            sample::report().unexpected(),
            vec!["tampering/jwt: 200 | still works"]
        );
    }

    #[test]
    fn a_skipped_cell_says_so_in_the_table() {
        let report = sample::with_skipped_column();
        let table = report.table(120);
        for line in table.lines() {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        assert!(table.contains("1 cell(s) not measured (skipped: no Redis — set REDIS_URL)"));
        assert!(!table.contains("✗ skipped"));
        assert!(
            table.contains(NOT_RUN),
            "the second row has no session/redis cell"
        );
    }

    #[test]
    fn every_column_fits_and_long_names_break_after_a_slash_or_plus() {
        let mut report = sample::report();
        report.configurations = crate::columns::configuration_names()
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
