//! How a process of the harness learns that it is to stop: the harness
//! from Ctrl-C or SIGTERM, each child from its stdin closing, which happens
//! however the harness ends (even by SIGKILL, which no handler sees).

use std::io::Read;

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
