//! The child side of the harness's hidden subcommands: what `compare serve`,
//! `serve-bare`, `serve-api` and `guard` run in the process that
//! [`super::launcher`] (or [`super::redis`]) started. Each also stops when its
//! stdin closes, so that a harness that dies in any way takes its children
//! along.

use std::{path::Path, process::Stdio};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::process::Command;

use super::stop_signals::{interrupted, stdin_closed};
use crate::columns::App;

/// The child side, `compare serve <app> -- <flags>`: parses the app's own
/// `Config` from the flags and runs what that app's `main.rs` runs.
///
/// One addition: the server also stops when its stdin reaches end of file.
/// The harness holds the write end, so a harness that dies in any way (even
/// SIGKILL, which no handler sees) still takes its servers with it.
pub async fn serve(app: App, args: Vec<String>) -> anyhow::Result<()> {
    let _log = auth_core::serve::init_tracing()?;
    let argv = std::iter::once(app.name().to_owned()).chain(args);
    let (is_command, server): (
        bool,
        std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>,
    ) = match app {
        App::Session => {
            let cli = session_app::Cli::try_parse_from(argv)?;
            (cli.command.is_some(), Box::pin(session_app::main(cli)))
        }
        App::Jwt => {
            let cli = jwt_app::Cli::try_parse_from(argv)?;
            (cli.command.is_some(), Box::pin(jwt_app::main(cli)))
        }
    };
    // An operator's command runs to its end (its stdin is not held open by
    // anyone); only a server watches its stdin.
    if is_command {
        return server.await;
    }
    let orphaned = stdin_closed();
    tokio::select! {
        result = server => result,
        _ = orphaned => Ok(()),
    }
}

/// The child side of `compare serve-bare KIND`: a bare server, which also
/// stops when its stdin closes, as [`serve`]'s do.
pub async fn serve_bare(config: bare::Config) -> anyhow::Result<()> {
    let orphaned = stdin_closed();
    tokio::select! {
        result = bare::main(config) => result,
        _ = orphaned => Ok(()),
    }
}

/// The child side of `compare serve-api`: the resource server, which also
/// stops when its stdin closes, as [`serve`]'s do.
pub async fn serve_api(config: resource_server::Config) -> anyhow::Result<()> {
    let _log = auth_core::serve::init_tracing()?;
    let orphaned = stdin_closed();
    tokio::select! {
        result = resource_server::main(config) => result,
        _ = orphaned => Ok(()),
    }
}

/// The child side of `compare guard <program> -- <args>`: runs `program` (the
/// harness's private redis-server) and kills it as soon as this process'
/// stdin closes, which the harness does when it is done with it, and which
/// also happens when the harness dies in any way (even SIGKILL). A
/// redis-server cannot watch its parent itself; this process does it for it.
/// Ctrl-C and SIGTERM also end it, taking `program` along.
pub async fn guard(program: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let closed = stdin_closed();
    tokio::select! {
        status = child.wait() => {
            let status = status.with_context(|| format!("waiting for {}", program.display()))?;
            bail!("{} exited ({status})", program.display());
        }
        _ = closed => {}
        _ = interrupted() => {}
    }
    child
        .kill()
        .await
        .with_context(|| format!("cannot stop {}", program.display()))
}
