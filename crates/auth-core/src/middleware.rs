//! The middleware every route of both servers sits behind: request ids,
//! request logs, the body limit, the timeout, and JSON for every error.

mod access_log;
mod response_policy;

use std::time::Duration;

use axum::{
    Json, Router,
    body::Body,
    http::{HeaderValue, Request, StatusCode, header},
    response::{Extension, IntoResponse, IntoResponseParts, Response},
};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::ApiError;
use access_log::AccessLogLayer;
use response_policy::ResponsePolicyLayer;
pub use response_policy::{SameForEveryone, set_security_headers};

/// Larger request bodies are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Adds the JSON 404/405 answers, request ids, tracing, the body limit and the
/// timeout around a finished router.
pub fn finish(router: Router, request_timeout: Duration) -> Router {
    with_fallbacks(router).layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(FastRequestUuid))
                .layer(AccessLogLayer)
                // At DEBUG: see access_log.rs for what the span cost at INFO.
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::debug_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(ResponsePolicyLayer)
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
                .layer(RequestBodyLimitLayer::new(BODY_LIMIT)),
        )
}

/// [`finish`], with the request inspector around it when it is on
/// (`--inspect`): its route is added first, so that it gets the same layers,
/// and its recording layer last, so that it sees every answer, the
/// fallback's and the layers' own included.
pub fn finish_inspected(
    router: Router,
    request_timeout: Duration,
    inspector: Option<crate::inspect::Inspector>,
) -> Router {
    match inspector {
        Some(inspector) => {
            let router = inspector.route(router);
            inspector.record_around(finish(router, request_timeout))
        }
        None => finish(router, request_timeout),
    }
}

/// The JSON 404 and 405 answers. A layer added after them wraps them too;
/// one added before would lose the 405 (axum puts it in each route's place).
pub fn with_fallbacks(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { method_not_allowed() })
}

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

fn method_not_allowed() -> Response {
    let body =
        json!({"error": "method_not_allowed", "message": "this route does not take that method"});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}
