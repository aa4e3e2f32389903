use std::process::ExitCode;

use clap::{Parser, Subcommand};

use compare::{App, Options};

/// Measures what the "sessions vs JWT" articles only claim: starts session-app
/// and jwt-app in every configuration, runs the same scenarios on each and
/// prints the results side by side.
#[derive(Parser)]
#[command(name = "compare", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    child: Option<Child>,

    #[command(flatten)]
    options: Options,
}

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
}

/// Ctrl-C, or SIGTERM (a CI job cancelled, `timeout`): which one came, and
/// the shell's exit status for it (128 + signal number).
async fn interrupted() -> (&'static str, u8) {
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Child::Serve { app, args }) = cli.child {
        return match compare::server::serve(app, args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{} failed: {e:#}", app.name());
                ExitCode::FAILURE
            }
        };
    }
    let opts = cli.options;
    // Losing the race to Ctrl-C drops the run, and with it every server it
    // started (each is killed on drop).
    let report = tokio::select! {
        report = compare::run(&opts) => report,
        (what, code) = interrupted() => {
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
