//! The last lines a child wrote to stderr, kept so that a server that fails
//! to start, or fails a measurement, can say why in the harness's own error.

use std::{
    collections::VecDeque,
    path::Path,
    sync::{Arc, Mutex},
};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

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

/// The last lines of a child's log file, into `tail`.
pub fn tail_file(path: &Path, tail: &Tail) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    tail.clear();
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(TAIL_LINES);
    tail.extend(lines[from..].iter().map(|l| (*l).to_owned()));
}
