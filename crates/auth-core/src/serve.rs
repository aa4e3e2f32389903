use std::{
    io::{BufWriter, IsTerminal},
    net::SocketAddr,
};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::CommonConfig;

/// The servers' log filter when `RUST_LOG` is unset: a line per request.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// What the log writer thread buffers before a write(2): many lines.
const LOG_BUFFER: usize = 64 * 1024;

/// Logs to stderr; `RUST_LOG` overrides the default level. Keep the guard
/// until the process ends: dropping it writes out what is still queued.
///
/// The lines go through a writer thread. Written by the request's own
/// thread, each line was a write(2) under stderr's lock: about a quarter of
/// the server's throughput (issue 12). The thread writes whatever has
/// queued in one call through its buffer. Not lossy: when the channel is
/// full, requests wait for the writer rather than lines silently vanishing.
#[must_use = "the log writer stops when its guard is dropped"]
pub fn init_tracing() -> WorkerGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(BufWriter::with_capacity(LOG_BUFFER, std::io::stderr()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours for a person at a terminal only: in a file or a pipe the
        // escape codes are bytes to write and noise to read.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .init();
    guard
}

/// What a server binary does with its settings: run the operator's
/// `command` if one was given, else build the router (`app`) and serve it on
/// `bind:port` until Ctrl-C or SIGTERM.
pub async fn command_or_serve(
    app_name: &str,
    common: &CommonConfig,
    port: u16,
    app: impl Future<Output = anyhow::Result<Router>>,
) -> anyhow::Result<()> {
    if let Some(command) = common.command.clone() {
        println!("{}", crate::command::run(command, common).await?);
        return Ok(());
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
        .with_context(|| format!("cannot listen on {addr}"))?;
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
