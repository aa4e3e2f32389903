//! compare: the harness that turns "server-side sessions or JWTs?" from claims
//! into measurements. It starts session-app and jwt-app as real processes in
//! each configuration, drives them through the same scenarios over HTTP and
//! reports what happened, side by side.

pub mod configs;
pub mod explain;
pub mod http;
pub mod report;
pub mod scenarios;
pub mod server;

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use clap::builder::{PossibleValue, PossibleValuesParser};

pub use configs::{App, CONFIGURATIONS, Configuration, Store};
use explain::Explain;
use http::Http;
pub use report::{Cell, Format, Report};
use scenarios::{SCENARIOS, Scenario};
use server::{Launcher, Server};

/// What to measure and how to print it.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Run only this scenario (repeatable).
    #[arg(long = "scenario", value_name = "NAME",
          value_parser = PossibleValuesParser::new(SCENARIOS.iter().map(|s| PossibleValue::new(s.id).help(s.title))))]
    pub scenarios: Vec<String>,

    /// Run only this configuration (repeatable).
    #[arg(long = "config", value_name = "NAME",
          value_parser = PossibleValuesParser::new(configs::configuration_names()))]
    pub configs: Vec<String>,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print every HTTP exchange (request line, credentials, Set-Cookie,
    /// status, decoded JWT) as it happens.
    #[arg(long)]
    pub explain: bool,

    /// Short load phases and fewer logins: for tests, not for numbers.
    #[arg(long)]
    pub quick: bool,

    /// bcrypt cost the servers hash with (the servers' own default is 12).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,
}

impl Options {
    /// Whether the report itself goes to stdout as JSON, which nothing else may then touch.
    fn json_on_stdout(&self) -> bool {
        self.format == Format::Json && self.out.is_none()
    }
}

/// What every scenario is given: a way to start servers, clients, and the
/// run's settings.
pub struct Lab {
    launcher: Launcher,
    pub quick: bool,
    explain: Option<Explain>,
    progress: Progress,
}

impl Lab {
    pub fn new(opts: &Options) -> anyhow::Result<Self> {
        let explain = opts.explain.then(|| Explain::new(opts.json_on_stdout()));
        Ok(Self {
            launcher: Launcher::new(opts.bcrypt_cost)?,
            quick: opts.quick,
            progress: Progress {
                tty: std::io::stderr().is_terminal() && explain.is_none(),
            },
            explain,
        })
    }

    pub fn bcrypt_cost(&self) -> u32 {
        self.launcher.bcrypt_cost
    }

    /// Starts `config` with a data folder of its own, removed with the server.
    pub async fn start(
        &self,
        config: &'static Configuration,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let dir = temp_dir()?;
        Ok(self.start_in(config, dir.path(), extra).await?.owning(dir))
    }

    /// Starts `config` on an existing data folder: a restart, or a second instance.
    pub async fn start_in(
        &self,
        config: &'static Configuration,
        dir: &Path,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let server = self.launcher.start(config, dir, extra).await?;
        if let Some(explain) = &self.explain {
            let mut flags = config.flags.join(" ");
            if !extra.is_empty() {
                flags = format!("{flags} {}", extra.join(" "));
            }
            explain.note(
                config.name,
                &format!(
                    "started {} {flags} (process {}) on {}",
                    config.app.name(),
                    server
                        .pid()
                        .map_or_else(|| "?".to_owned(), |p| p.to_string()),
                    server.addr
                ),
            );
        }
        Ok(server)
    }

    /// Stops a server process, and says so when explaining.
    pub async fn stop(&self, server: Server) -> anyhow::Result<()> {
        let name = server.name;
        server.stop().await?;
        self.note(name, "stopped the server process");
        Ok(())
    }

    pub fn http(&self, config: &Configuration) -> anyhow::Result<Http> {
        Http::new(config.name, self.explain.clone())
    }

    /// Commentary for `--explain`: what the harness is about to show.
    pub fn note(&self, label: &str, text: &str) {
        if let Some(explain) = &self.explain {
            explain.note(label, text);
        }
    }

    /// Marks the start of one scenario on one configuration.
    pub fn step(&self, scenario: &Scenario, config: &Configuration) {
        let text = format!("{} · {}", scenario.id, config.name);
        match &self.explain {
            Some(explain) => explain.heading(&format!("{text}: {}", scenario.title)),
            None => self.progress.show(&text),
        }
    }

    /// What runs now, on the progress line only (not in `--explain` output).
    pub fn progress(&self, text: &str) {
        if self.explain.is_none() {
            self.progress.show(text);
        }
    }

    /// A problem worth reading in full: printed at once on stderr.
    pub fn warn(&self, text: &str) {
        self.progress.clear();
        eprintln!("compare: {text}");
    }
}

/// One line on stderr saying what runs now: redrawn in place on a terminal,
/// one line per step otherwise (CI logs).
struct Progress {
    tty: bool,
}

impl Progress {
    fn show(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2Kcompare: {text} …");
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "compare: {text}");
        }
    }

    fn clear(&self) {
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

pub fn temp_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("compare-")
        .tempdir()
        .context("cannot create a temporary data folder")
}

/// Runs the chosen scenarios on the chosen configurations.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    let configs: Vec<&'static Configuration> = CONFIGURATIONS
        .iter()
        .filter(|c| opts.configs.is_empty() || opts.configs.iter().any(|n| n == c.name))
        .collect();
    let chosen: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| opts.scenarios.is_empty() || opts.scenarios.iter().any(|n| n == s.id))
        .collect();
    let lab = Lab::new(opts)?;
    let mut scenarios = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        if lab.explain.is_none() {
            lab.progress
                .show(&format!("[{}/{}] {}", i + 1, chosen.len(), s.id));
        }
        let measured = (s.run)(&lab, &configs).await;
        scenarios.push(report::ScenarioReport {
            id: s.id.to_owned(),
            title: s.title.to_owned(),
            claim: s.claim.to_owned(),
            lesson: measured.lesson.unwrap_or_else(|| s.lesson.to_owned()),
            results: measured.results,
        });
    }
    lab.progress.clear();
    Ok(Report {
        version: report::VERSION,
        machine: report::Machine::here(opts.bcrypt_cost, opts.quick),
        configurations: configs.iter().map(|c| c.name.to_owned()).collect(),
        scenarios,
    })
}
