//! What every answer of both servers gets on its way out: a JSON body for
//! the errors that layers make, `Cache-Control: no-store` where a credential
//! is involved, and two security headers.
//!
//! One hand-written layer rather than five (`from_fn`, `map_response`, two
//! `SetResponseHeader`s and a body map): axum's `from_fn` and `map_response`
//! box their inner service and their future on every request, which showed
//! in the profile of `GET /protected` (issue 12). This one allocates only
//! when it writes an error's body.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum::{
    body::{Body, HttpBody},
    http::{HeaderMap, HeaderValue, Request, StatusCode, header},
    response::Response,
};
use serde_json::json;
use tower::{BoxError, Layer, Service};

/// Marks an answer that is the same for every caller and holds nothing of
/// theirs (a public key): the credential the request happened to carry (a
/// browser sends its cookies everywhere) must not make it uncacheable.
#[derive(Debug, Clone, Copy)]
pub struct SameForEveryone;

#[derive(Debug, Clone, Copy, Default)]
pub struct ResponsePolicyLayer;

impl<S> Layer<S> for ResponsePolicyLayer {
    type Service = ResponsePolicy<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ResponsePolicy { inner }
    }
}

#[derive(Debug, Clone)]
pub struct ResponsePolicy<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ResponsePolicy<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: HttpBody<Data = axum::body::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let carried_credential = req.headers().contains_key(header::AUTHORIZATION)
            || req.headers().contains_key(header::COOKIE);
        ResponseFuture {
            inner: self.inner.call(req),
            carried_credential,
        }
    }
}

pin_project_lite::pin_project! {
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        carried_credential: bool,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx))?.map(Body::new);
        Poll::Ready(Ok(apply(json_errors(res), *this.carried_credential)))
    }
}

fn apply(mut res: Response, carried_credential: bool) -> Response {
    let public = res.extensions().get::<SameForEveryone>().is_some();
    let headers = res.headers_mut();
    // A response that sets a credential, or answers a request that carried
    // one, must not be kept by a browser's or a proxy's cache: the next user
    // of a shared machine would read it. (jwt-app's token bodies say so
    // themselves, as RFC 6749 §5.1 asks.)
    if (carried_credential && !public) || headers.contains_key(header::SET_COOKIE) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    set_security_headers(headers);
    res
}

/// The headers every response carries (the contract's common rules), also
/// those answered before this layer runs (a refused `Host`).
pub fn set_security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// Errors made by layers (413 from the body limit, 408 from the timeout, an
/// empty 500) come without a JSON body: give them one, so that every error a
/// client sees has the same shape.
fn json_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_owned();
    let (mut parts, _) = res.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = json!({"error": code, "message": message}).to_string();
    Response::from_parts(parts, Body::from(body))
}
