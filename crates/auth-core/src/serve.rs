use std::{io::IsTerminal, net::SocketAddr};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tracing_subscriber::{
    EnvFilter, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::{
    CommonConfig, RoleChange,
    command::Command,
    log_writer::{self, BatchedWriter},
};

/// The servers' log filter when `RUST_LOG` is unset: a line per request.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// Logs to stderr, in batches ([`log_writer`]); `RUST_LOG` overrides the
/// default level. Keep the guard until the process ends: dropping it writes
/// out what is still buffered.
pub fn init_tracing() -> anyhow::Result<log_writer::Guard> {
    let (writer, guard) =
        BatchedWriter::start(std::io::stderr()).context("cannot start the log writer thread")?;
    let (targets, env_filter) = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                // Colours for a person at a terminal only: in a file or a pipe
                // the escape codes are bytes to write and noise to read.
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(writer),
        )
        .with(targets)
        .with(env_filter)
        .init();
    Ok(guard)
}

/// `RUST_LOG` (else [`DEFAULT_LOG_FILTER`]) as one of two filters. Directives
/// of targets and levels only (`info,sqlx=warn`, the usual case) become a
/// `Targets`, decided once per call site. `EnvFilter`, needed only for
/// directives on spans or fields (`[request{uri=/login}]=debug`), looks the
/// request's span up in a map behind a lock each time the span is entered
/// or left, several times a request, even when no such directive exists
/// (issue 12). A `RUST_LOG` that neither parses falls back to the default.
fn log_filter(rust_log: Option<&str>) -> (Option<Targets>, Option<EnvFilter>) {
    let directives = rust_log
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(DEFAULT_LOG_FILTER);
    if let Ok(targets) = directives.parse::<Targets>() {
        return (Some(targets), None);
    }
    match EnvFilter::try_new(directives) {
        Ok(filter) => (None, Some(filter)),
        Err(_) => (DEFAULT_LOG_FILTER.parse().ok(), None),
    }
}

/// What a server binary does with its command line: run the operator's
/// `command` if one was given, then the app's `after_command` with what it
/// changed (jwt-app ends a demoted user's logins); else build the router
/// (`app`) and serve it on `bind:port` until Ctrl-C or SIGTERM.
pub async fn command_or_serve(
    app_name: &str,
    command: Option<Command>,
    common: &CommonConfig,
    port: u16,
    app: impl Future<Output = anyhow::Result<Router>>,
    after_command: impl AsyncFnOnce(&RoleChange) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if let Some(command) = command {
        let change = crate::command::run(command, common).await?;
        println!("{change}");
        return after_command(&change).await;
    }
    run(
        app_name,
        SocketAddr::new(common.serve.bind, port),
        app.await?,
    )
    .await
}

/// Serves `app` on `addr` until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn run(app_name: &str, addr: SocketAddr, app: Router) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| cannot_listen(app_name, addr, &e))?;
    let local = listener.local_addr()?;
    tracing::info!("{app_name} listening on http://{local}");
    // A line on stdout that a parent process (the compare harness) can wait for.
    println!("listening on http://{local}");
    // With the peer's address, which the per-address limits need.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("{app_name} stopped");
    Ok(())
}

/// Why a server cannot listen, in one line a teacher can act on: a port in
/// use is most often the server of an earlier part of the workshop, still
/// running.
pub fn cannot_listen(app_name: &str, addr: SocketAddr, e: &std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        anyhow::anyhow!(
            "port {} is in use: is another {app_name} running? stop it or set PORT",
            addr.port()
        )
    } else {
        anyhow::anyhow!("cannot listen on {addr}: {e}")
    }
}

/// A server binary's end: nothing on success; else one line on stderr and
/// exit code 1. Returned from `main`, an error would print its `Debug` form,
/// and with `RUST_BACKTRACE` set a backtrace of the runtime's frames, none of
/// which says more than the line.
pub fn exit_code(app_name: &str, result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{app_name}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn log_filter_takes_targets_when_it_can_and_env_filter_when_it_must() {
        let (targets, env) = log_filter(None);
        let targets = targets.expect("the default names targets only");
        assert!(env.is_none());
        assert!(targets.would_enable("session_app", &Level::INFO));
        assert!(!targets.would_enable("sqlx::query", &Level::INFO));
        assert!(targets.would_enable("sqlx::query", &Level::WARN));

        let (targets, env) = log_filter(Some("[request{uri=/login}]=debug"));
        assert!(
            targets.is_none() && env.is_some(),
            "a span directive needs EnvFilter"
        );

        for unusable in [Some(""), Some("  "), Some("=[=")] {
            let (targets, env) = log_filter(unusable);
            let targets = targets.expect("falls back to the default");
            assert!(env.is_none());
            assert!(
                targets.would_enable("jwt_app", &Level::INFO),
                "{unusable:?}"
            );
        }
    }
}
