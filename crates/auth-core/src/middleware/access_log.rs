//! The request log: one line per answered request, with everything in it
//! (`GET /protected 200 0.21ms request_id=…`), written when the answer
//! leaves.
//!
//! One event rather than tower-http's span and its "finished processing
//! request" event: with the span on, tracing-subscriber creates, enters,
//! leaves and closes a registry entry per request and formats its fields,
//! and the line walks the span to print them; the request log cost a third
//! of session-app's CPU time per request (issue 12). The span is still
//! there, at DEBUG (`RUST_LOG=info,auth_core::middleware=debug`), for when
//! every line a request causes should carry its request id.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Instant,
};

use axum::http::{HeaderValue, Method, Request, Response, Uri};
use tower::{Layer, Service};

/// The target of the request lines: `RUST_LOG=info,request=off` turns off
/// the request log alone.
const TARGET: &str = "request";

#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog { inner }
    }
}

#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

/// What the line says of the request, taken before the request moves on.
struct Seen {
    method: Method,
    uri: Uri,
    request_id: Option<HeaderValue>,
    start: Instant,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AccessLog<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let seen = tracing::enabled!(target: TARGET, tracing::Level::INFO).then(|| Seen {
            method: req.method().clone(),
            uri: req.uri().clone(),
            request_id: req.headers().get("x-request-id").cloned(),
            start: Instant::now(),
        });
        ResponseFuture {
            inner: self.inner.call(req),
            seen,
        }
    }
}

pin_project_lite::pin_project! {
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        seen: Option<Seen>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(seen) = this.seen.take() {
            let id = seen.request_id.as_ref().and_then(|v| v.to_str().ok());
            let (method, uri) = (&seen.method, &seen.uri);
            let ms = Millis(seen.start.elapsed());
            match &result {
                Ok(res) => tracing::info!(
                    target: TARGET,
                    request_id = %id.unwrap_or("-"),
                    "{method} {uri} {} {ms}",
                    res.status().as_u16(),
                ),
                // Nothing was answered: hyper closes the connection.
                Err(_) => tracing::info!(
                    target: TARGET,
                    request_id = %id.unwrap_or("-"),
                    "{method} {uri} failed {ms}",
                ),
            }
        }
        Poll::Ready(result)
    }
}

/// A latency as people read it in a log, `0.21ms`, in integer arithmetic:
/// a float's formatting showed in the profile.
struct Millis(std::time::Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = self.0.as_micros() / 10;
        write!(f, "{}.{:02}ms", hundredths / 100, hundredths % 100)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Millis;

    #[test]
    fn latencies_read_as_milliseconds_with_two_decimals() {
        for (micros, text) in [
            (0, "0.00ms"),
            (9, "0.00ms"),
            (210, "0.21ms"),
            (1_005, "1.00ms"),
            (807_019, "807.01ms"),
        ] {
            assert_eq!(Millis(Duration::from_micros(micros)).to_string(), text);
        }
    }
}
