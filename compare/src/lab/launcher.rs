//! The parent side of the server processes: each started as a real child,
//! on a port the OS picks and with its own data folder, and always stopped
//! again. What the child runs is in [`super::child_side`].
//!
//! Why re-execute `compare` itself instead of running the `session-app` and
//! `jwt-app` binaries: `cargo compare` is `cargo run -p compare`, which builds
//! only this package's binary. Linking both servers in as libraries and
//! starting them through the hidden `compare serve <app> -- <flags>` subcommand
//! means one build brings both servers along, always of the same source and
//! profile as the harness, while each one still runs as its own process (a
//! restart is a real process exit; two instances share nothing but files).

use std::{
    collections::VecDeque,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context, bail};
use clap::CommandFactory;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, ChildStdin, Command},
    task::JoinHandle,
};

use super::{
    measurement_state::Home,
    stderr_tail::{Tail, keep_tail, tail_file, tail_text},
};
use crate::columns::Configuration;

/// Longest wait for a child to print `listening on`: migrations and the
/// first bcrypt hash run before it, slowly in a debug build.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a child to exit after its stdin is closed, before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How to start a server: the executable to re-run and the flags every server gets.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub exe: PathBuf,
    pub bcrypt_cost: u32,
    /// `RUST_LOG` for the children. The default (`warn`) keeps per-request
    /// info lines out of the throughput numbers.
    pub server_log: String,
    /// Send each child's stderr to `server.log` in its data folder instead
    /// of a pipe the harness reads: the bench's servers log every request,
    /// and reading tens of thousands of lines a second would take cycles
    /// from the load generator in this process.
    pub stderr_to_file: bool,
}

impl Launcher {
    pub fn new(bcrypt_cost: u32) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the compare executable")?;
        let server_log = std::env::var("COMPARE_SERVER_LOG").unwrap_or_else(|_| "warn".into());
        Ok(Self {
            exe,
            bcrypt_cost,
            server_log,
            stderr_to_file: false,
        })
    }

    /// The flags of `config` in `data_dir`: the ones every server gets, the
    /// configuration's own, then `extra`.
    fn args(&self, config: &Configuration, data_dir: &Path, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--port".into(),
            "0".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--bcrypt-cost".into(),
            self.bcrypt_cost.to_string(),
        ];
        if config.app.has_flag("store-stats") {
            args.push("--store-stats".into());
        }
        args.extend(config.flags.iter().map(|s| (*s).to_owned()));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// This executable as `config`'s app with `args`, in a clean environment.
    fn command(&self, config: &Configuration, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("serve").arg(config.app.name()).arg("--").args(args);
        for var in config.app.env_vars() {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", &self.server_log);
        cmd
    }

    /// Runs an operator's command (`set-role EMAIL admin`) of `config`'s app
    /// with the same settings as its server in `data_dir`, as a teacher
    /// would beside the running server; its one line of output.
    pub async fn operator(
        &self,
        config: &'static Configuration,
        data_dir: &Path,
        command: &[&str],
    ) -> anyhow::Result<String> {
        let mut args = self.args(config, data_dir, &[]);
        args.extend(command.iter().map(|s| (*s).to_owned()));
        let out = tokio::time::timeout(STARTUP_TIMEOUT, self.command(config, &args).output())
            .await
            .with_context(|| format!("{} {} took too long", config.app.name(), command.join(" ")))?
            .with_context(|| format!("cannot run {} {}", config.app.name(), command.join(" ")))?;
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            bail!(
                "{} {} failed ({}): {}",
                config.app.name(),
                command.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(stdout)
    }

    /// Starts `config` on a free port with `data_dir` as its data folder, and
    /// waits until it listens.
    pub async fn start(
        &self,
        config: &'static Configuration,
        data_dir: &Path,
        extra: &[&str],
    ) -> anyhow::Result<Server> {
        let args = self.args(config, data_dir, extra);
        let cmd = self.command(config, &args);
        let what = format!("{} {}", config.app.name(), args.join(" "));
        self.spawn(config.name, cmd, &what, data_dir).await
    }

    /// Starts one of the bench's bare servers (`compare serve-bare KIND`) on a
    /// free port, with `extra` flags, the same way as a configuration.
    pub async fn start_bare(
        &self,
        kind: bare::Kind,
        data_dir: &Path,
        extra: &[String],
    ) -> anyhow::Result<Server> {
        let kind_arg = clap::ValueEnum::to_possible_value(&kind)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        let mut cmd = Command::new(&self.exe);
        cmd.arg("serve-bare")
            .arg(&kind_arg)
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(extra);
        let what = format!("bare {kind_arg} {}", extra.join(" "));
        self.spawn(kind.name(), cmd, &what, data_dir).await
    }

    /// Starts the resource server (`compare serve-api`) on a free port with
    /// `args`, in a clean environment like the servers.
    pub async fn start_api(&self, data_dir: &Path, args: &[String]) -> anyhow::Result<Server> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("serve-api")
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(args);
        for var in resource_server::Config::command()
            .get_arguments()
            .filter_map(|a| a.get_env())
        {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", &self.server_log);
        let what = format!("resource-server {}", args.join(" "));
        self.spawn("resource-server", cmd, &what, data_dir).await
    }

    /// Runs `cmd` as a child named `name`, and waits for its `listening on` line.
    async fn spawn(
        &self,
        name: &'static str,
        mut cmd: Command,
        what: &str,
        data_dir: &Path,
    ) -> anyhow::Result<Server> {
        let log_file = self.stderr_to_file.then(|| data_dir.join("server.log"));
        let stderr = match &log_file {
            Some(path) => Stdio::from(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            ),
            None => Stdio::piped(),
        };
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task = child
            .stderr
            .take()
            .map(|s| tokio::spawn(keep_tail(s, stderr_tail.clone())));
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take() else {
            bail!("{name}: no stdout pipe");
        };
        let mut lines = BufReader::new(stdout).lines();

        let waited = tokio::time::timeout(STARTUP_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                    return Ok::<_, anyhow::Error>(Some(addr.parse::<SocketAddr>()?));
                }
            }
            Ok(None)
        })
        .await;
        let addr = match waited {
            Ok(Ok(Some(addr))) => addr,
            failure => {
                let why = match failure {
                    Err(_) => format!("did not listen within {STARTUP_TIMEOUT:?}"),
                    Ok(Err(e)) => format!("unreadable output: {e:#}"),
                    _ => "exited before listening".to_owned(),
                };
                let _ = child.kill().await;
                if let Some(task) = stderr_task {
                    let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
                }
                if let Some(path) = &log_file {
                    tail_file(path, &stderr_tail);
                }
                bail!(
                    "{name} ({what}) {why}; its stderr:\n{}",
                    tail_text(&stderr_tail)
                );
            }
        };
        // Nothing more is expected on stdout, but a full pipe would block the child.
        let stdout_task =
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            name,
            addr,
            data_dir: data_dir.to_owned(),
            child: Some(child),
            stdin,
            stderr_tail,
            log_file,
            tasks: [stderr_task, Some(stdout_task)],
            home: None,
        })
    }
}

/// A running server process. Dropping it kills the process.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    child: Option<Child>,
    /// Held open for the child's whole life: its closing is the child's
    /// signal to stop (see [`super::child_side::serve`]).
    stdin: Option<ChildStdin>,
    stderr_tail: Tail,
    /// Where its stderr went instead of the pipe, if [`Launcher::stderr_to_file`].
    log_file: Option<PathBuf>,
    tasks: [Option<JoinHandle<()>>; 2],
    /// A home (data folder, part of Redis) that lives exactly as long as
    /// this server; dropped, and so cleaned, after the process is killed.
    home: Option<Home>,
}

impl Server {
    /// Makes `home` go away with this server.
    pub fn owning(mut self, home: Home) -> Self {
        self.home = Some(home);
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr(&self) -> String {
        if let Some(path) = &self.log_file {
            tail_file(path, &self.stderr_tail);
        }
        tail_text(&self.stderr_tail)
    }

    /// Stops the process as a deployment would (it exits on its own), and
    /// kills it if it has not within a few seconds.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(status) => {
                status.with_context(|| format!("waiting for {} to exit", self.name))?;
            }
            Err(_) => {
                child
                    .kill()
                    .await
                    .with_context(|| format!("killing {}", self.name))?;
            }
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            // kill_on_drop would do it too; this also covers a child handed
            // elsewhere by a future refactor. The runtime reaps it.
            let _ = child.start_kill();
        }
        for task in self.tasks.iter_mut().filter_map(Option::take) {
            task.abort();
        }
        // Only now, with the process killed, may its data folder and its
        // Redis keys go.
        drop(self.home.take());
    }
}
