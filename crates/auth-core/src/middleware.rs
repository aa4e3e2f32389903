//! The middleware every route of both servers sits behind: request ids,
//! request logs, the body limit, the timeout, and JSON for every error.

use std::time::Duration;

use axum::{
    Json, Router,
    body::Body,
    http::{HeaderValue, Request, StatusCode, header},
    middleware,
    response::{Extension, IntoResponse, IntoResponseParts, Response},
};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::{
    limit::RequestBodyLimitLayer,
    map_response_body::MapResponseBodyLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::ApiError;

/// Larger request bodies are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Adds the JSON 404/405 answers, request ids, tracing, the body limit and the
/// timeout around a finished router.
pub fn finish(router: Router, request_timeout: Duration) -> Router {
    router
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { method_not_allowed() })
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(FastRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                }).on_response(DefaultOnResponse::new().level(Level::INFO)))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .layer(middleware::from_fn(no_store_with_credentials))
                .layer(middleware::map_response(json_errors))
                .layer(MapResponseBodyLayer::new(Body::new))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
                .layer(RequestBodyLimitLayer::new(BODY_LIMIT)),
        )
}

/// Marks an answer that is the same for every caller and holds nothing of
/// theirs (a public key): the credential the request happened to carry (a
/// browser sends its cookies everywhere) must not make it uncacheable.
#[derive(Debug, Clone, Copy)]
pub struct SameForEveryone;

/// `Cache-Control: public, max-age=…` and the [`SameForEveryone`] mark that
/// keeps it: for an answer any cache may keep and share for `max_age`.
pub fn cacheable(max_age: Duration) -> impl IntoResponseParts {
    let value = HeaderValue::from_str(&format!("public, max-age={}", max_age.as_secs()))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
    ([(header::CACHE_CONTROL, value)], Extension(SameForEveryone))
}

/// Request ids as random (v4) UUIDs from the thread's generator. tower-http's
/// `MakeRequestUuid` asks the kernel for 16 bytes (getrandom(2)) on every
/// request; a request id must be unique, not secret.
#[derive(Debug, Clone, Copy)]
struct FastRequestUuid;

impl MakeRequestId for FastRequestUuid {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
            .ok()
            .map(RequestId::new)
    }
}

/// A response that sets a credential (`Set-Cookie`), or answers a request
/// that carried one, must not be kept by a browser's or a proxy's cache: the
/// next user of a shared machine would read it. (jwt-app's token bodies say
/// so themselves, as RFC 6749 §5.1 asks.) Only an answer marked
/// [`SameForEveryone`] keeps its own caching when the request carried one.
async fn no_store_with_credentials(req: Request<Body>, next: middleware::Next) -> Response {
    let carried = req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key(header::COOKIE);
    let mut res = next.run(req).await;
    let public = res.extensions().get::<SameForEveryone>().is_some();
    if (carried && !public) || res.headers().contains_key(header::SET_COOKIE) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn method_not_allowed() -> Response {
    let body =
        json!({"error": "method_not_allowed", "message": "this route does not take that method"});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// Errors made by layers (413 from the body limit, 408 from the timeout, an
/// empty 500) come without a JSON body: give them one, so that every error a
/// client sees has the same shape.
async fn json_errors(res: Response) -> Response {
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
