use std::{
    collections::HashMap,
    io::IsTerminal,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    net::TcpListener,
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tracing_subscriber::{
    EnvFilter, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::{
    CommonConfig, RoleChange,
    command::Command,
    config::ServeConfig,
    host::{self, AllowedHosts},
    keep_alive::{Idle, IdleClose},
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
    run(app_name, &common.serve, port, app.await?).await
}

/// Serves `app` on `serve.bind:port` until Ctrl-C or SIGTERM, then lets
/// requests in flight finish. Through hyper's own HTTP/1 builder, so that
/// a client that sends its headers slowly, or never, is cut off after
/// `HEADER_READ_TIMEOUT` (axum::serve waits forever), and an idle
/// keep-alive connection after `KEEP_ALIVE_TIMEOUT`; with at most
/// `MAX_CONNECTIONS` connections, `MAX_CONNECTIONS_PER_ADDRESS` of them from
/// one client address (a connection over either is closed at once); behind
/// the `Host` allow-list (`ALLOWED_HOSTS`, whose default needs the port this
/// server really got); and with the open-files limit raised first.
pub async fn run(
    app_name: &str,
    serve: &ServeConfig,
    port: u16,
    app: Router,
) -> anyhow::Result<()> {
    let open_files = raise_open_files_limit();
    let addr = SocketAddr::new(serve.bind, port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| cannot_listen(app_name, addr, &e))?;
    let local = listener.local_addr()?;
    let hosts = AllowedHosts::new(&serve.allowed_hosts, serve.bind, local.port())?;
    let limits = ConnectionLimits::new(serve, open_files);
    let app = app.layer(axum::middleware::from_fn_with_state(
        hosts,
        host::refuse_misdirected,
    ));
    tracing::info!("{app_name} listening on http://{local}");
    // A line on stdout that a parent process (the compare harness) can wait for.
    println!("listening on http://{local}");
    serve_connections(listener, app, limits, serve, shutdown_signal()).await;
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

/// The open-files soft limit raised to the hard one (each connection is a
/// file; a common default of 1024 is soon spent); the limit in force.
fn raise_open_files_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(open_files = limit, "open-files limit");
            Some(limit)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-files limit");
            None
        }
    }
}

/// Files kept for what is not a connection: the database pool, Redis, the
/// log, the listener, key files.
const FILES_KEPT: u64 = 64;

/// How many connections may be open, in all and per client address.
#[derive(Clone)]
struct ConnectionLimits {
    total: Arc<Semaphore>,
    per_address: u32,
    open: Arc<Mutex<HashMap<String, u32>>>,
    /// TRUST_PROXY: every client behind a proxy arrives from its address.
    proxies: Arc<[ipnet::IpNet]>,
    refused: Arc<AtomicU64>,
}

impl ConnectionLimits {
    fn new(serve: &ServeConfig, open_files: Option<u64>) -> Self {
        let mut total = u64::from(serve.max_connections);
        if let Some(files) = open_files
            && files < total + FILES_KEPT
        {
            let lowered = files.saturating_sub(FILES_KEPT).max(1);
            tracing::warn!(
                max_connections = serve.max_connections,
                open_files = files,
                "MAX_CONNECTIONS is more than the open-files limit allows: {lowered} at most"
            );
            total = lowered;
        }
        Self {
            total: Arc::new(Semaphore::new(usize::try_from(total).unwrap_or(usize::MAX))),
            per_address: serve.max_connections_per_address,
            open: Arc::default(),
            proxies: serve.trust_proxy.clone().into(),
            refused: Arc::default(),
        }
    }

    /// A slot for a connection from `peer`, or `None` (close it) when either
    /// limit is reached. The slot is given back when dropped.
    fn admit(&self, peer: IpAddr) -> Option<Slot> {
        let refuse = |why: &str| {
            let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            // The first refusal, then ever more rarely: a flood must not fill the log.
            if n.is_power_of_two() {
                tracing::warn!(
                    peer = %peer,
                    refused_so_far = n,
                    "connection closed at once: {why}"
                );
            }
            None
        };
        let Ok(permit) = self.total.clone().try_acquire_owned() else {
            return refuse("MAX_CONNECTIONS are open");
        };
        let key = if self.per_address == 0 || crate::client_addr::is_trusted(&self.proxies, peer) {
            None
        } else {
            Some(crate::throttle::client_key(peer))
        };
        if let Some(key) = &key {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let count = open.entry(key.clone()).or_insert(0);
            if *count >= self.per_address {
                drop(open);
                return refuse("MAX_CONNECTIONS_PER_ADDRESS are open from this address");
            }
            *count += 1;
        }
        Some(Slot {
            _permit: permit,
            key,
            open: self.open.clone(),
        })
    }
}

/// One admitted connection's place in the limits.
struct Slot {
    _permit: OwnedSemaphorePermit,
    key: Option<String>,
    open: Arc<Mutex<HashMap<String, u32>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(key) = &self.key {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(count) = open.get_mut(key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// Accepts connections until `shutdown`, each served by hyper with the
/// header-read and keep-alive timeouts and the peer's address
/// (`ConnectInfo<SocketAddr>`, as the per-address limits read it); then lets
/// the open ones finish.
async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    serve: &ServeConfig,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(serve.header_read_timeout)
        .keep_alive(!serve.keep_alive_timeout.is_zero());
    let graceful = GracefulShutdown::new();
    let mut accept_errors = 0u64;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of files (EMFILE) or the like: the listener keeps
                    // the waiting connections; try again in a moment.
                    accept_errors += 1;
                    if accept_errors.is_power_of_two() {
                        tracing::warn!(error = %e, errors_so_far = accept_errors, "cannot accept a connection");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = limits.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        let idle = Idle::new(serve.keep_alive_timeout);
        let io = TokioIo::new(IdleClose::new(stream, idle.clone()));
        let app = app.clone();
        let service = service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let busy = idle.begin();
            let answer = tower::ServiceExt::oneshot(app.clone(), req);
            async move {
                let answer = answer.await;
                drop(busy);
                answer
            }
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(peer = %peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    // Requests in flight get their request timeout, and a moment to answer.
    let grace = serve.request_timeout + Duration::from_secs(1);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {grace:?}; closing them");
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
