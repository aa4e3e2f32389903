use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use compare::{
    cli::Options,
    columns::App,
    lab::{child_side, stop_signals},
};

/// Measures what the "sessions vs JWT" articles only claim: starts session-app
/// and jwt-app in every configuration, runs the same scenarios on each and
/// prints the results side by side.
#[derive(Parser)]
#[command(
    name = "compare",
    version,
    args_conflicts_with_subcommands = true,
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    child: Option<Child>,

    #[command(flatten)]
    options: Options,
}

const AFTER_HELP: &str = "\
Redis columns (session/redis, jwt+denylist/redis):
  REDIS_URL=redis://host:port  use that Redis. Each measurement takes an empty logical
                               database of its own (session-app has no key prefix) or a
                               --redis-prefix of its own (jwt-app), and removes what it wrote.
  REDIS_URL unset              start a private redis-server on a free port (it must be on
                               the PATH; nothing is saved to disk) and stop it after the run.
  neither                      those columns are skipped, each cell saying how to get Redis
                               (`just redis`, apt-get install redis-server, or set REDIS_URL);
                               under CI=true a missing Redis fails the run instead.

JSON (--format json, version 1): every cell is {outcome, value, expected}; a cell whose outcome
rests on named numbers also has \"metrics\" ({\"requests_per_s\": …, \"p99_ms\": …}); a cell that
was not measured (no Redis) also has \"skipped\": true, with \"value\": null and \"expected\": true.

HTML (--format html): one self-contained page (inline CSS and SVG charts, nothing fetched) with
the table, each scenario's claim, verdict and lesson, and the charts; `just report` writes and
opens it. --charts DIR writes the same charts as SVG files, and the status matrix
(status-matrix.svg: each scenario × column, coloured by what the outcome means for the user).

COMPARE_SERVER_LOG sets the servers' RUST_LOG (default: warn).";

#[derive(Subcommand)]
enum Child {
    /// Runs one server in this process: how the harness starts its children.
    #[command(hide = true)]
    Serve {
        app: App,
        /// The server's own flags, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Runs one of the bench's bare servers in this process.
    #[command(hide = true)]
    ServeBare(bare::Config),
    /// Measures /protected of every configuration against bare servers
    /// doing the same library work, the login flood, and memory per user.
    Bench(compare::bench::Options),
    /// Runs the resource server in this process (the `decentralized` scenario).
    #[command(hide = true)]
    ServeApi(Box<resource_server::Config>),
    /// Runs PROGRAM and kills it when stdin closes: how the harness keeps
    /// its private redis-server from outliving it.
    #[command(hide = true)]
    Guard {
        program: PathBuf,
        /// PROGRAM's arguments, after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.child {
        Some(Child::Serve { app, args }) => {
            return match child_side::serve(app, args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{} failed: {e:#}", app.name());
                    ExitCode::FAILURE
                }
            };
        }
        Some(Child::ServeBare(config)) => {
            let name = config.kind.name();
            return match child_side::serve_bare(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{name} failed: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Child::ServeApi(config)) => {
            return match child_side::serve_api(*config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("resource-server failed: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Child::Bench(options)) => return compare::bench::main(options).await,
        Some(Child::Guard { program, args }) => {
            return match child_side::guard(&program, &args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("compare guard: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {}
    }
    let opts = cli.options;
    // Losing the race to Ctrl-C drops the run, and with it every server it
    // started (each is killed on drop).
    let report = tokio::select! {
        report = compare::run(&opts) => report,
        (what, code) = stop_signals::interrupted() => {
            eprintln!("\ncompare: {what}; every server it started is stopped");
            return ExitCode::from(code);
        }
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("compare: {e:#}");
            return ExitCode::from(2);
        }
    };
    let text = report.render(opts.format);
    match &opts.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("compare: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            eprintln!("compare: wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    if let Some(dir) = &opts.charts {
        match compare::report::plot::write_svgs(&report, dir) {
            Ok(charts) => {
                for (chart, file) in charts {
                    match file {
                        Some(file) => eprintln!("compare: wrote {}", file.display()),
                        None => eprintln!(
                            "compare: no {} chart: scenario {} was not run",
                            chart.id, chart.scenario
                        ),
                    }
                }
            }
            Err(e) => {
                eprintln!("compare: cannot write the charts to {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
        match compare::report::matrix::write_svg(&report, dir) {
            Ok(file) => eprintln!("compare: wrote {}", file.display()),
            Err(e) => {
                eprintln!(
                    "compare: cannot write the status matrix to {}: {e}",
                    dir.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    let unexpected = report.unexpected();
    if unexpected.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "compare: {} cell(s) differ from the contract:",
            unexpected.len()
        );
        for cell in unexpected {
            eprintln!("  ✗ {cell}");
        }
        ExitCode::FAILURE
    }
}
