//! The command line: what to measure and how to print it.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};

use crate::{columns, report::ReportFormat, scenarios::SCENARIOS};

/// What to measure and how to print it.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Run only this scenario (repeatable).
    #[arg(long = "scenario", value_name = "NAME",
          value_parser = PossibleValuesParser::new(SCENARIOS.iter().map(|s| PossibleValue::new(s.id).help(s.title))))]
    pub scenarios: Vec<String>,

    /// Run only this configuration (repeatable).
    #[arg(long = "config", value_name = "NAME",
          value_parser = PossibleValuesParser::new(columns::configuration_names()))]
    pub configs: Vec<String>,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Also write each chart of the HTML report as DIR/NAME.svg.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,

    /// Print every HTTP exchange (request line, credentials, Set-Cookie,
    /// status, decoded JWT) as it happens.
    #[arg(long)]
    pub explain: bool,

    /// Short load phases and fewer logins: for tests, not for numbers.
    #[arg(long, env = "COMPARE_QUICK")]
    pub quick: bool,

    /// bcrypt cost the servers hash with (the servers' own default is 12).
    #[arg(long, env = "COMPARE_BCRYPT_COST", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,
}

impl Options {
    /// Whether the report itself goes to stdout as a document (JSON, HTML),
    /// which nothing else may then touch.
    pub fn document_on_stdout(&self) -> bool {
        self.format.is_document() && self.out.is_none()
    }
}
