//! compare: the harness that turns "server-side sessions or JWTs?" from claims
//! into measurements. It starts session-app and jwt-app as real processes in
//! each configuration, drives them through the same scenarios over HTTP and
//! reports what happened, side by side.

pub mod configs;
pub mod explain;
pub mod http;
pub mod redis;
pub mod report;
pub mod scenarios;
pub mod server;

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use clap::builder::{PossibleValue, PossibleValuesParser};

pub use configs::{App, CONFIGURATIONS, Configuration, Store};
use explain::Explain;
use http::Http;
pub use report::{Cell, Format, Report};
use scenarios::{Measured, SCENARIOS, Scenario};
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
    /// The Redis of the Redis columns, when one of them runs and one was found.
    redis: Option<redis::Redis>,
}

/// Where one measurement of one configuration keeps its state: a data folder
/// (the users' SQLite file, jwt-app's key file) and, for a Redis column, a
/// part of Redis of its own. Servers started on the same home share that
/// state (a restart, a second instance); dropping it removes the folder and
/// the Redis keys.
pub struct Home {
    dir: tempfile::TempDir,
    redis: Option<redis::Namespace>,
}

impl Home {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The server flags that point it at this home's part of Redis.
    fn redis_flags(&self) -> Vec<String> {
        self.redis
            .as_ref()
            .map(redis::Namespace::flags)
            .unwrap_or_default()
    }
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
            redis: None,
        })
    }

    pub fn bcrypt_cost(&self) -> u32 {
        self.launcher.bcrypt_cost
    }

    /// A new home for one measurement of `config`: a data folder, and a part
    /// of Redis if `config` keeps its state there.
    pub async fn home(&self, config: &Configuration) -> anyhow::Result<Home> {
        let dir = temp_dir()?;
        let redis = match (config.needs_redis(), &self.redis) {
            (false, _) => None,
            (true, Some(redis)) => {
                let namespace = redis.namespace(config.app).await?;
                self.note(config.name, &format!("its state: {}", namespace.describe()));
                Some(namespace)
            }
            (true, None) => bail!("{} needs Redis, and there is none", config.name),
        };
        Ok(Home { dir, redis })
    }

    /// Starts `config` in a home of its own, removed with the server.
    pub async fn start(
        &self,
        config: &'static Configuration,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let home = self.home(config).await?;
        Ok(self.start_in(config, &home, extra).await?.owning(home))
    }

    /// Starts `config` in an existing home: a restart, or a second instance.
    pub async fn start_in(
        &self,
        config: &'static Configuration,
        home: &Home,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let redis_flags = home.redis_flags();
        let mut args: Vec<&str> = redis_flags.iter().map(String::as_str).collect();
        args.extend_from_slice(extra);
        let server = self.launcher.start(config, home.path(), &args).await?;
        if let Some(explain) = &self.explain {
            let mut flags = config.flags.join(" ");
            if !args.is_empty() {
                flags = format!("{flags} {}", args.join(" "));
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

/// Ctrl-C, or SIGTERM (a CI job cancelled, `timeout`): which one came, and
/// the shell's exit status for it (128 + signal number).
pub async fn interrupted() -> (&'static str, u8) {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => ("interrupted", 130),
        () = terminate => ("terminated", 143),
    }
}

/// Runs the chosen scenarios on the chosen configurations.
///
/// The Redis columns need a Redis ([`redis::Redis::provide`]); without one
/// their cells are skipped (`"skipped": true`) and the other columns are
/// measured as usual, except under `CI=true`, where that is an error.
pub async fn run(opts: &Options) -> anyhow::Result<Report> {
    let configs: Vec<&'static Configuration> = CONFIGURATIONS
        .iter()
        .filter(|c| opts.configs.is_empty() || opts.configs.iter().any(|n| n == c.name))
        .collect();
    let chosen: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| opts.scenarios.is_empty() || opts.scenarios.iter().any(|n| n == s.id))
        .collect();
    let mut lab = Lab::new(opts)?;

    let wanting: Vec<&str> = configs
        .iter()
        .filter(|c| c.needs_redis())
        .map(|c| c.name)
        .collect();
    let mut no_redis = None;
    let mut redis_used = None;
    if !wanting.is_empty() && !chosen.is_empty() {
        lab.progress("finding Redis (REDIS_URL, else a private redis-server)");
        match redis::Redis::provide(&lab.launcher.exe).await {
            Ok(redis) => {
                lab.note(
                    "redis",
                    &format!("the Redis columns use {}", redis.describe()),
                );
                redis_used = Some(redis.describe());
                lab.redis = Some(redis);
            }
            Err(why) if redis::in_ci() => {
                bail!(
                    "no Redis for {} under CI=true, where that is a failure: {why}",
                    wanting.join(", ")
                );
            }
            Err(why) => {
                lab.warn(&format!("SKIPPED {}: {why}", wanting.join(", ")));
                redis_used = Some("none (the Redis columns are skipped)".to_owned());
                no_redis = Some(why);
            }
        }
    }
    let skipped = |c: &Configuration| c.needs_redis() && no_redis.is_some();
    let runnable: Vec<&'static Configuration> =
        configs.iter().copied().filter(|c| !skipped(c)).collect();

    let mut scenarios = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        if lab.explain.is_none() {
            lab.progress
                .show(&format!("[{}/{}] {}", i + 1, chosen.len(), s.id));
        }
        let mut measured = if runnable.is_empty() {
            Measured::new(Vec::new())
        } else {
            (s.run)(&lab, &runnable).await
        };
        // Every column in table order, the skipped ones included.
        let results = configs
            .iter()
            .map(|c| {
                let cell = match (&no_redis, skipped(c)) {
                    (Some(why), true) => Cell::skipped(format!("skipped: {why}")),
                    _ => measured
                        .take(c.name)
                        .unwrap_or_else(|| Cell::error(&anyhow::anyhow!("not measured"))),
                };
                (c.name.to_owned(), cell)
            })
            .collect();
        scenarios.push(report::ScenarioReport {
            id: s.id.to_owned(),
            title: s.title.to_owned(),
            claim: s.claim.to_owned(),
            lesson: measured.lesson.unwrap_or_else(|| s.lesson.to_owned()),
            results,
        });
    }
    lab.progress.clear();
    if let Some(redis) = lab.redis.take() {
        redis.stop().await;
    }
    let mut machine = report::Machine::here(opts.bcrypt_cost, opts.quick);
    machine.redis = redis_used;
    Ok(Report {
        version: report::VERSION,
        machine,
        configurations: configs.iter().map(|c| c.name.to_owned()).collect(),
        scenarios,
    })
}
