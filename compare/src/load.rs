//! The bounded load both the `throughput` scenario and `compare bench` put
//! on a server: a fixed number of keep-alive connections, each sending one
//! request, waiting for its whole answer and sending the next, until a fixed
//! time is over. Latencies go into an HDR histogram.
//!
//! Why plain HTTP/1.1 written by hand rather than reqwest: the generator
//! shares the machine's cores with the server it measures. A general client
//! spends several times the server's own work per request (header maps,
//! pool bookkeeping, body streams), and every cycle it spends is one the
//! server does not get, which squeezes the ratios between columns towards
//! one. This one sends bytes rendered once and reads the status line and
//! `Content-Length`; that is all a GET of a small JSON answer needs, and it
//! is what wrk does too (the bench cross-checks the two).

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use hdrhistogram::Histogram;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

/// One request, rendered once, and the status that counts as an answer.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    request: Arc<[u8]>,
    expect: u16,
}

impl Target {
    /// `GET path` on `addr` with `header` if any, answered `expect` when all is well.
    pub fn get(addr: SocketAddr, path: &str, header: Option<(&str, &str)>, expect: u16) -> Self {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: compare\r\n");
        if let Some((name, value)) = header {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        Self {
            addr,
            request: request.into_bytes().into(),
            expect,
        }
    }
}

/// What load phases measured, added up.
#[derive(Debug, Clone)]
pub struct Load {
    /// Of the requests answered with the expected status, in microseconds.
    pub latencies: Histogram<u64>,
    /// Answers with another status, broken connections.
    pub errors: usize,
    pub elapsed: Duration,
}

impl Default for Load {
    fn default() -> Self {
        Self {
            // Three significant digits: 0.01 ms apart at 10 ms.
            latencies: Histogram::new(3).expect("3 significant digits is in range"),
            errors: 0,
            elapsed: Duration::ZERO,
        }
    }
}

impl Load {
    /// Adds `other`'s requests and time to these (phases run one after another).
    pub fn add(&mut self, other: &Load) {
        self.merge(other);
        self.elapsed += other.elapsed;
    }

    /// Adds `other`'s requests only (connections that ran side by side).
    fn merge(&mut self, other: &Load) {
        // Both histograms grow as needed, so adding never overflows a range.
        let _ = self.latencies.add(&other.latencies);
        self.errors += other.errors;
    }

    fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        // `record`, which grows the histogram, not `saturating_record`: that
        // one clamps to the highest value the histogram was made for *before*
        // growing it, and `Histogram::new` is made for 2: every latency past
        // its first bucket (2.047 ms) was counted as 2 µs.
        let _ = self.latencies.record(micros);
    }

    pub fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.latencies.value_at_quantile(q))
    }

    /// [`quantile`](Self::quantile) in milliseconds, as reports and
    /// metrics give latencies.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.quantile(q).as_secs_f64() * 1000.0
    }

    pub fn requests(&self) -> u64 {
        self.latencies.len()
    }

    /// Answered requests per second.
    pub fn rate(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// `connections` connections send `target`'s request back to back until
/// `duration` is over. Fails if no request got the expected answer.
pub async fn run(target: &Target, connections: usize, duration: Duration) -> anyhow::Result<Load> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let target = target.clone();
        tasks.spawn(async move { connection(&target, deadline).await });
    }
    // A server that stops answering would hold a connection forever: this
    // bounds the phase.
    let limit = duration + contract_client::client::REQUEST_TIMEOUT;
    let mut load = tokio::time::timeout(limit, async {
        let mut all = Load::default();
        while let Some(done) = tasks.join_next().await {
            all.merge(&done.context("a load task failed")?);
        }
        Ok::<_, anyhow::Error>(all)
    })
    .await
    .context("the load phase did not end in time")??;
    load.elapsed = started.elapsed();
    ensure!(
        !load.latencies.is_empty(),
        "no request to {} was answered {} ({} failed)",
        target.addr,
        target.expect,
        load.errors
    );
    Ok(load)
}

/// One keep-alive connection's share, reconnecting after a broken one.
async fn connection(target: &Target, deadline: Instant) -> Load {
    let mut run = Load::default();
    let mut buf = Vec::with_capacity(4096);
    'connect: while Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect(target.addr).await else {
            run.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        buf.clear();
        while Instant::now() < deadline {
            let sent = Instant::now();
            if stream.write_all(&target.request).await.is_err() {
                run.errors += 1;
                continue 'connect;
            }
            match answer(&mut stream, &mut buf).await {
                Ok(status) if status == target.expect => run.record(sent.elapsed()),
                Ok(_) => run.errors += 1,
                Err(_) => {
                    run.errors += 1;
                    continue 'connect;
                }
            }
        }
    }
    run
}

/// Reads one whole response from `stream` and returns its status; what
/// follows it stays in `buf` for the next one.
async fn answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<u16> {
    loop {
        if let Some(head_end) = find(buf, b"\r\n\r\n") {
            let (status, length) = head(&buf[..head_end])?;
            let total = head_end + 4 + length;
            while buf.len() < total {
                read_more(stream, buf).await?;
            }
            buf.drain(..total);
            return Ok(status);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        bail!("the server closed the connection");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// The status and `Content-Length` of a response head. Our servers answer
/// every request of the bench with a length; a chunked body is refused
/// rather than misread.
fn head(head: &[u8]) -> anyhow::Result<(u16, usize)> {
    let text = std::str::from_utf8(head).context("a response head that is not text")?;
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a chunked response");
        }
    }
    Ok((status, length.context("no Content-Length")?))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_and_length_of_a_head() {
        let head_text =
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nContent-Length: 42";
        assert_eq!(head(head_text).ok(), Some((404, 42)));
        assert!(head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked").is_err());
        assert_eq!(find(b"ab\r\n\r\ncd", b"\r\n\r\n"), Some(2));
    }

    /// Against a real axum server on an ephemeral port: keep-alive answers
    /// are counted, and a wrong status is an error, not a latency.
    #[tokio::test]
    async fn counts_answers_over_keep_alive() -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().route("/ok", axum::routing::get(|| async { "ok" }));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let ok = run(
            &Target::get(addr, "/ok", Some(("X-Test", "1")), 200),
            2,
            Duration::from_millis(200),
        )
        .await?;
        assert!(ok.requests() > 10 && ok.errors == 0, "{ok:?}");
        assert!(ok.quantile(0.5) <= ok.quantile(0.99));
        let mut slow = Load::default();
        slow.record(Duration::from_millis(30));
        assert_eq!(
            slow.quantile(0.5).as_millis(),
            30,
            "a latency past the first bucket is kept"
        );
        let missing = run(
            &Target::get(addr, "/nope", None, 200),
            1,
            Duration::from_millis(100),
        )
        .await;
        assert!(missing.is_err(), "404s are not answers");
        server.abort();
        Ok(())
    }
}
