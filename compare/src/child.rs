//! What every child process of the harness needs: the tail of its output for
//! error messages, and a way to notice that its parent is gone (stdin closed)
//! or that the user wants to stop (Ctrl-C, SIGTERM).

use std::{
    collections::VecDeque,
    io::Read,
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
};

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::Command,
};

/// Lines of a child's stderr kept for error messages.
const TAIL_LINES: usize = 40;

/// The last lines a child wrote, shared with the task that reads them.
pub type Tail = Arc<Mutex<VecDeque<String>>>;

pub async fn keep_tail(stream: impl AsyncRead + Unpin, tail: Tail) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

pub fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    if tail.is_empty() {
        return "  (nothing)".to_owned();
    }
    tail.iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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

/// Resolves when this process' stdin reaches end of file: the harness that
/// holds the write end has closed it, or is gone.
pub fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (closed_tx, closed) = tokio::sync::oneshot::channel::<()>();
    // A plain thread, not tokio's stdin: tokio's blocking read could hold up
    // the runtime's shutdown until the next byte arrives.
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = closed_tx.send(());
    });
    closed
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
