//! Where the servers' log lines go: stderr, in batches.
//!
//! A request's line is appended to a shared buffer, and a writer thread
//! writes what has gathered every [`GATHER`], in one write(2). Written by
//! the request's own thread, each line was a write(2) under stderr's lock;
//! through tracing-appender's non-blocking writer, each line woke the writer
//! thread (a futex wake, a context switch, a write of one line): about a
//! tenth of session-app's time under load (issue 12). Here the writer wakes
//! once per batch, and sleeps while nothing is logged.
//!
//! Not lossy: a buffer past [`WRITE_AT`] is written at once by the thread
//! that filled it, so a slow stderr slows the requests rather than eating
//! lines or memory. A line reaches stderr at most [`GATHER`] late, and all
//! of them when the [`Guard`] is dropped.

use std::{
    io::{self, Write},
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    thread,
    time::Duration,
};

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer lets lines gather after the first one of a batch.
const GATHER: Duration = Duration::from_millis(20);

/// A buffer this full is written without waiting for the writer.
const WRITE_AT: usize = 64 * 1024;

/// The writer to give `tracing_subscriber::fmt`; see the module's comment.
/// (The servers write to stderr; the tests to a buffer of their own.)
#[derive(Clone)]
pub struct BatchedWriter(Arc<Shared>);

/// Stops the writer thread and writes what is still buffered when dropped.
#[must_use = "the log writer stops when its guard is dropped"]
pub struct Guard {
    shared: Arc<Shared>,
    writer: Option<thread::JoinHandle<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Where batches go. Its lock keeps them in order when a request's
    /// thread writes one while the writer thread writes another.
    out: Mutex<Out>,
    /// Signalled when a line arrives in an empty buffer, and at the end.
    arrived: Condvar,
}

struct Out {
    sink: Box<dyn Write + Send>,
    /// The buffer the last batch was written from, emptied: it becomes the
    /// next one, so that a batch does not regrow a buffer from nothing.
    spare: Vec<u8>,
}

struct Pending {
    lines: Vec<u8>,
    stopping: bool,
}

impl BatchedWriter {
    pub fn start(out: impl Write + Send + 'static) -> io::Result<(Self, Guard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                lines: Vec::with_capacity(WRITE_AT),
                stopping: false,
            }),
            out: Mutex::new(Out {
                sink: Box::new(out),
                spare: Vec::with_capacity(WRITE_AT),
            }),
            arrived: Condvar::new(),
        });
        let writer = thread::Builder::new().name("log-writer".into()).spawn({
            let shared = shared.clone();
            move || shared.write_batches()
        })?;
        let guard = Guard {
            shared: shared.clone(),
            writer: Some(writer),
        };
        Ok((Self(shared), guard))
    }
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        // A thread that panicked while appending left whole lines or none:
        // the buffer is still worth writing.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_batches(&self) {
        loop {
            {
                let mut pending = self.pending();
                while pending.lines.is_empty() && !pending.stopping {
                    pending = self
                        .arrived
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if pending.stopping {
                    break;
                }
            }
            thread::sleep(GATHER);
            self.write_out();
        }
        self.write_out();
    }

    /// Writes what has gathered, taken while holding `out`'s lock.
    fn write_out(&self) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let Out { sink, spare } = &mut *out;
        std::mem::swap(&mut self.pending().lines, spare);
        // Nowhere left to report a failed write of the log.
        let _ = sink.write_all(spare).and_then(|()| sink.flush());
        spare.clear();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.pending().stopping = true;
        self.shared.arrived.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// One log line's writer: tracing's fmt layer formats a whole line, then
/// writes it in one call.
pub struct LineWriter<'a>(&'a Shared);

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.0)
    }
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let (first, full) = {
            let mut pending = self.0.pending();
            let first = pending.lines.is_empty();
            pending.lines.extend_from_slice(line);
            (first, pending.lines.len() >= WRITE_AT)
        };
        if first {
            self.0.arrived.notify_one();
        }
        if full {
            self.0.write_out();
        }
        Ok(line.len())
    }

    /// The writer thread flushes; a line is never held longer than [`GATHER`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What reached the writer's destination.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl Write for Written {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_in_order_from_every_thread_by_the_end() {
        let written = Written::default();
        let (writer, guard) = BatchedWriter::start(written.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                thread::spawn(move || {
                    for i in 0..10_000 {
                        let line = format!("{t} {i}\n");
                        writer.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);

        let written = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        let mut next = [0; 4];
        for line in written.lines() {
            let (t, i) = line.split_once(' ').unwrap();
            let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines out of order");
            next[t] += 1;
        }
        assert_eq!(next, [10_000; 4], "every line written");
    }

    #[test]
    fn a_line_is_written_without_waiting_for_the_guard() {
        let written = Written::default();
        let (writer, _guard) = BatchedWriter::start(written.clone()).unwrap();
        writer.make_writer().write_all(b"listening\n").unwrap();
        // The writer thread wakes for the first line of a batch; generous
        // for a busy machine, and no speed is asserted: only that it comes.
        for _ in 0..500 {
            if written.0.lock().unwrap().as_slice() == b"listening\n" {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("the line was not written within 5 s");
    }
}
