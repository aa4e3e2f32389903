//! The lab: what every scenario (and the bench) is given. Servers started
//! as real processes in homes of their own ([`launcher`], and
//! [`child_side`] for what those processes run), the state one measurement's
//! servers share ([`measurement_state`], with a part of [`redis`]), clients
//! ([`http`]), commentary for `--explain` ([`explain`]), and the run's
//! settings.

pub mod child_side;
pub mod explain;
pub mod http;
pub mod launcher;
pub mod measurement_state;
pub mod progress;
pub mod redis;
mod stderr_tail;
pub mod stop_signals;

use std::io::IsTerminal;

use anyhow::{Context, bail};

use self::{explain::Explain, http::Http, progress::Progress};
pub use self::{
    launcher::{Launcher, Server},
    measurement_state::Home,
};
use crate::columns::Configuration;

/// What every scenario is given: a way to start servers, clients, and the
/// run's settings.
pub struct Lab {
    pub launcher: Launcher,
    pub quick: bool,
    pub explain: Option<Explain>,
    pub progress: Progress,
    /// The Redis of the Redis columns, when one of them runs and one was found.
    pub redis: Option<redis::Redis>,
}

impl Lab {
    /// `explain`: `--explain`'s printer, if asked for.
    pub fn new(bcrypt_cost: u32, quick: bool, explain: Option<Explain>) -> anyhow::Result<Self> {
        Ok(Self {
            launcher: Launcher::new(bcrypt_cost)?,
            quick,
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
        Ok(Home::new(dir, redis))
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

    /// Runs `command` with the settings `server` was started with (its data
    /// folder, so its database), and notes the line it printed.
    /// Starts the resource server in front of `login` (`config`'s server),
    /// in `home`, with `extra` flags, and says so under `--explain`.
    pub async fn start_api(
        &self,
        config: &'static Configuration,
        login: &Server,
        home: &Home,
        extra: &[String],
    ) -> anyhow::Result<Server> {
        let (mode, url_flag) = if config.is_session() {
            ("session", "--session-app-url")
        } else {
            ("jwt", "--jwt-app-url")
        };
        let mut args: Vec<String> = [
            "--mode",
            mode,
            url_flag,
            &format!("http://{}", login.addr),
            "--upstream-stats",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        args.extend_from_slice(extra);
        let api = self.launcher.start_api(home.path(), &args).await?;
        self.note(
            config.name,
            &format!(
                "started resource-server {} (process {}) on {}",
                args.join(" "),
                api.pid().map_or_else(|| "?".to_owned(), |p| p.to_string()),
                api.addr
            ),
        );
        Ok(api)
    }

    pub async fn operator(
        &self,
        config: &'static Configuration,
        server: &Server,
        command: &[&str],
    ) -> anyhow::Result<()> {
        let line = self
            .launcher
            .operator(config, &server.data_dir, command)
            .await?;
        self.note(
            config.name,
            &format!("ran `{} {}`: {line}", config.app.name(), command.join(" ")),
        );
        Ok(())
    }

    /// Stops a server process, and says so when explaining.
    pub async fn stop(&self, server: Server) -> anyhow::Result<()> {
        let name = server.name;
        server.stop().await?;
        self.note(name, "stopped the server process");
        Ok(())
    }

    pub fn http(&self, config: &Configuration) -> anyhow::Result<Http> {
        Ok(Http::new(config.name, self.explain.clone()))
    }

    /// Commentary for `--explain`: what the harness is about to show.
    pub fn note(&self, label: &str, text: &str) {
        if let Some(explain) = &self.explain {
            explain.note(label, text);
        }
    }

    /// Marks the start of one scenario (`id`, `title`) on one configuration.
    pub fn step(&self, id: &str, title: &str, config: &Configuration) {
        let text = format!("{id} · {}", config.name);
        match &self.explain {
            Some(explain) => explain.heading(&format!("{text}: {title}")),
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

pub fn temp_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("compare-")
        .tempdir()
        .context("cannot create a temporary data folder")
}
