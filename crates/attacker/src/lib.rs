//! The attacker's page of the workshop: another site the logged-in user
//! visits, which sends state-changing requests to the servers on the user's
//! behalf (CSRF) and shows what came of them.

use auth_core::{ApiError, host, inspect::Inspector};
use axum::{
    Json, Router,
    extract::Query,
    middleware,
    response::{Html, IntoResponse, Response},
    routing::get,
};

const PAGE: &str = include_str!("page/index.html");

/// The attacker's server: one page, whose target is a query parameter
/// (`/?target=http://127.0.0.1:3001`), so that it can aim at session-app or
/// at jwt-app in either transport, on any port.
pub fn app() -> Router {
    Router::new().route("/", get(|| async { Html(PAGE) }))
}

/// [`app`] with the request inspector of the workshop (`--inspect`): the
/// side-by-side page shows what the attacker's server was asked, too; and
/// the page measures each frame's verdict from what its target received.
pub fn inspected_app() -> Router {
    let inspector = Inspector::default();
    let router = app().route(
        TARGET_ROUTE,
        get(target_requests).route_layer(middleware::from_fn(host::loopback_host_only)),
    );
    inspector.clone().record_around(inspector.route(router))
}

/// Where the page reads what its target received: the target's own
/// inspector, relayed (the browser would not let this page read another
/// origin's answer).
pub const TARGET_ROUTE: &str = "/debug/target-requests";

/// `GET /debug/target-requests?target=ORIGIN&after=N`: the target's
/// `GET /debug/requests`, for a target on a loopback origin only.
async fn target_requests(Query(query): Query<Vec<(String, String)>>) -> Response {
    let (after, rest) = match auth_core::inspect::poll_query(query, &["target"]) {
        Ok(parsed) => parsed,
        Err(e) => return e.into_response(),
    };
    let Some((_, target)) = rest.into_iter().next() else {
        return ApiError::InvalidInput("target is missing: the origin to ask".into())
            .into_response();
    };
    match auth_core::inspect::relay(&target, after).await {
        Ok(seen) => Json(seen).into_response(),
        Err(e) => e.into_response(),
    }
}
