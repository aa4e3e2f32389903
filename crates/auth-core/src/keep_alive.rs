//! `KEEP_ALIVE_TIMEOUT`: a keep-alive connection that sits idle that long
//! after its last answer is closed, apart from `HEADER_READ_TIMEOUT`.
//!
//! hyper 1's HTTP/1 server has no idle timeout of its own (hyper#3828 would
//! add one): its header-read timer, started when it waits for the next
//! request, is the only limit, so an idle connection and a slow client's
//! half-sent headers had to share one value. An idle connection holds one of
//! `MAX_CONNECTIONS` (and of its address's share) for nothing; a slow client
//! on a poor network may need longer for its headers. Here the connection's
//! IO knows both halves: [`Idle`] hears from the service when a request
//! starts and ends, and [`IdleClose`] from the socket when bytes move. Idle
//! means no request in flight and no byte received since the last answer;
//! once that has lasted the timeout, the next read reports end of stream,
//! which hyper takes, between requests, as the client's clean close.

use std::{
    io,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll},
    time::Duration,
};

use pin_project_lite::pin_project;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// One connection's activity, shared by its IO and its service.
pub struct Idle {
    timeout: Duration,
    state: Mutex<State>,
}

struct State {
    in_flight: u32,
    /// When the last answer ended, while nothing has arrived since. `None`
    /// before the first answer: a new connection is the header-read
    /// timeout's (a client that connects and sends nothing is slow, not idle).
    since: Option<Instant>,
}

impl Idle {
    pub fn new(timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            timeout,
            state: Mutex::new(State {
                in_flight: 0,
                since: None,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request has started; the connection is busy until the returned
    /// guard is dropped (its answer is ready).
    pub fn begin(self: &Arc<Self>) -> Busy {
        let mut state = self.state();
        state.in_flight += 1;
        state.since = None;
        Busy(self.clone())
    }

    /// Bytes of a next request arrived: from here its headers are the
    /// header-read timeout's.
    fn received(&self) {
        self.state().since = None;
    }

    /// A write's outcome, passed on: bytes of an answer still going out
    /// mean the connection is not idle yet.
    fn after_write(&self, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            let mut state = self.state();
            if state.since.is_some() {
                state.since = Some(Instant::now());
            }
        }
        written
    }

    /// When the connection is to be closed if nothing happens before.
    fn deadline(&self) -> Option<Instant> {
        let state = self.state();
        match state.since {
            Some(since) if state.in_flight == 0 => Some(since + self.timeout),
            _ => None,
        }
    }
}

/// A request in flight on a connection (see [`Idle::begin`]).
pub struct Busy(Arc<Idle>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.since = Some(Instant::now());
        }
    }
}

pin_project! {
    /// A connection's socket that reads as closed once [`Idle`] says it has
    /// been idle for the timeout.
    pub struct IdleClose<S> {
        #[pin]
        inner: S,
        idle: Arc<Idle>,
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<S> IdleClose<S> {
    pub fn new(inner: S, idle: Arc<Idle>) -> Self {
        Self {
            inner,
            idle,
            timer: None,
        }
    }
}

impl<S: AsyncRead> AsyncRead for IdleClose<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        match this.inner.poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.idle.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.idle.deadline() else {
                    *this.timer = None;
                    return Poll::Pending;
                };
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    *this.timer = None;
                    tracing::debug!("keep-alive connection idle for KEEP_ALIVE_TIMEOUT: closed");
                    // Nothing read: end of stream.
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncWrite> AsyncWrite for IdleClose<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.idle.after_write(this.inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.idle
            .after_write(this.inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    /// A server-side stream and the client's end.
    fn connection() -> (
        IdleClose<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<Idle>,
    ) {
        let (server, client) = tokio::io::duplex(1024);
        let idle = Idle::new(TIMEOUT);
        (IdleClose::new(server, idle.clone()), client, idle)
    }

    /// What one read gives within `wait`: `Some(0)` is end of stream, `None` nothing yet.
    async fn read_within(
        stream: &mut IdleClose<tokio::io::DuplexStream>,
        wait: Duration,
    ) -> Option<usize> {
        let mut buf = [0u8; 64];
        tokio::time::timeout(wait, stream.read(&mut buf))
            .await
            .ok()
            .map(|r| r.expect("a duplex read"))
    }

    /// Still open just before a whole timeout from now, read as closed just after.
    async fn open_until_the_timeout_then_closed(stream: &mut IdleClose<tokio::io::DuplexStream>) {
        let margin = Duration::from_millis(100);
        assert_eq!(read_within(stream, TIMEOUT - margin).await, None);
        assert_eq!(read_within(stream, margin * 2).await, Some(0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_is_never_idle_closed() {
        let (mut server, _client, _idle) = connection();
        assert_eq!(read_within(&mut server, TIMEOUT * 10).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_after_an_answer_reads_as_closed_once_the_timeout_has_passed() {
        let (mut server, _client, idle) = connection();
        drop(idle.begin());
        open_until_the_timeout_then_closed(&mut server).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_or_a_next_one_arriving_is_not_idle() {
        let (mut server, mut client, idle) = connection();
        let busy = idle.begin();
        assert_eq!(read_within(&mut server, TIMEOUT * 3).await, None);
        drop(busy);
        tokio::time::advance(TIMEOUT / 2).await;
        client.write_all(b"GET / HT").await.unwrap();
        assert_eq!(read_within(&mut server, TIMEOUT).await, Some(8));
        assert_eq!(
            read_within(&mut server, TIMEOUT * 3).await,
            None,
            "a half-sent request is the header-read timeout's"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_still_being_written_pushes_the_deadline() {
        let (mut server, mut client, idle) = connection();
        drop(idle.begin());
        tokio::time::advance(TIMEOUT - Duration::from_secs(1)).await;
        server.write_all(b"the rest of a body").await.unwrap();
        let mut buf = [0u8; 64];
        let _ = client.read(&mut buf).await.unwrap();
        open_until_the_timeout_then_closed(&mut server).await;
    }
}
