//! resource-server: a second service that trusts the login. It holds no
//! users and no keys of its own, and serves notes to whoever the login
//! server lets in, in one of two ways ([`Mode`]):
//!
//! - `jwt`: verifies jwt-app's access tokens here, with the public key jwt-app
//!   publishes (fetched at start), and so calls jwt-app zero times per request;
//! - `session`: a session id means nothing here, so every request asks
//!   session-app whom its cookie belongs to.
//!
//! `GET /debug/upstream` counts what each way costs the login server, and
//! `GET /` shows those counts live.

mod bearer;
pub mod config;
mod counters;
mod introspection;
mod jwks;
mod notes;
mod page;
mod upstream;

use std::sync::Arc;

use auth_core::{
    Health, health,
    openapi::{self, About, Credential},
};
use axum::{Router, middleware, routing::get};
use jwt_app::{RedisDenylist, Verification, keys::JwtAlg};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use config::{Config, Mode, SharedDenylist};

use crate::{
    bearer::TokenCheck,
    counters::{Counters, Report},
    introspection::Introspection,
    jwks::{KeysKnown, RemoteKeys},
    upstream::Upstream,
};

/// What the `resource-server` binary runs.
pub async fn main(config: Config) -> anyhow::Result<()> {
    let (serve, port) = (config.serve.clone(), config.port);
    auth_core::serve::run("resource-server", &serve, port, app(config).await?).await
}

/// The whole server: every route it serves, behind the credential check of
/// its mode.
pub async fn app(config: Config) -> anyhow::Result<Router> {
    config.serve.loopback_only(
        config.upstream_stats,
        "--upstream-stats (UPSTREAM_STATS) serves GET /debug/upstream, which tells anyone who \
         asks how many requests this server lets through",
    )?;
    let inspector = auth_core::inspect::Inspector::for_server(&config.serve)?;
    let counters = Arc::new(Counters::default());
    let login_server = config.login_server();
    let upstream = Upstream::new(
        login_server.clone(),
        config.upstream_timeout,
        counters.clone(),
    )?;

    // Each route's path comes from its handler's `#[utoipa::path]`, which
    // also documents it (auth_core::openapi).
    let notes = OpenApiRouter::new()
        // Behind the credential check of the mode:
        .routes(routes!(notes::mine))
        .routes(routes!(notes::all))
        .route_layer(middleware::from_fn_with_state(
            counters.clone(),
            counters::count_verified,
        ));
    let (notes, health) = match config.mode {
        Mode::Jwt => {
            let (check, health) = token_check(&config, upstream).await?;
            let notes =
                notes.route_layer(middleware::from_fn_with_state(check, bearer::require_token));
            (notes, health)
        }
        Mode::Session => {
            if config.denylist != SharedDenylist::Off {
                tracing::warn!("DENYLIST applies to AUTH_MODE=jwt only; ignored");
            }
            let introspection =
                Introspection::new(upstream, counters.clone(), config.introspection_cache_ttl);
            let notes = notes.route_layer(middleware::from_fn_with_state(
                Arc::new(introspection),
                introspection::require_session,
            ));
            (notes, Health::new("resource-server", "introspection"))
        }
    };
    tracing::info!(
        mode = config.mode.label(),
        login_server = %login_server,
        denylist = config.denylist.label(),
        "{}",
        staleness(&config)
    );

    let (mut router, api) = notes
        // Open to anyone:
        .merge(
            OpenApiRouter::new()
                .routes(routes!(health::health))
                .with_state(health),
        )
        .route("/", get(page::page))
        .split_for_parts();
    if config.upstream_stats {
        let report = Report {
            counters,
            mode: config.mode,
            login_server: login_server.to_string(),
        };
        router = router.route(
            "/debug/upstream",
            get(counters::report)
                .with_state(report)
                .route_layer(middleware::from_fn(auth_core::host::loopback_host_only)),
        );
    }
    let api = openapi::finish(
        api,
        About {
            title: "resource-server",
            version: env!("CARGO_PKG_VERSION"),
            description: match config.mode {
                Mode::Jwt => {
                    "Notes for whoever holds a valid access token of jwt-app, verified here \
                     with the key jwt-app publishes."
                }
                Mode::Session => {
                    "Notes for whoever holds a live session of session-app, which this server \
                     asks about the cookie on every request."
                }
            },
            credential: match config.mode {
                Mode::Jwt => Credential::BearerJwt,
                Mode::Session => Credential::Cookie(auth_core::cookie_names::session(false)),
            },
            csrf_checked: false,
        },
    );
    let router = openapi::serve(router, &api)?;
    Ok(auth_core::middleware::finish_inspected(
        router,
        config.serve.request_timeout,
        inspector,
    ))
}

/// Jwt mode's check: jwt-app's rules pinned to EdDSA, the keys it publishes,
/// and its Redis denylist if asked for (unreachable at start: no start).
async fn token_check(config: &Config, upstream: Upstream) -> anyhow::Result<(TokenCheck, Health)> {
    if !config.introspection_cache_ttl.is_zero() {
        tracing::warn!("INTROSPECTION_CACHE_TTL applies to AUTH_MODE=session only; ignored");
    }
    let verification = Verification::new(
        JwtAlg::EdDsa,
        &config.jwt_issuer,
        &config.jwt_audience,
        config.jwt_leeway,
    )?;
    let keys = RemoteKeys::start(verification, upstream, config.jwks_refetch_interval).await;
    let mut health =
        Health::new("resource-server", config.denylist.label()).with(KeysKnown(keys.clone()));
    let denylist: Option<Arc<dyn jwt_app::Denylist>> = match config.denylist {
        SharedDenylist::Off => None,
        SharedDenylist::Redis => {
            let redis =
                jwt_app::Redis::connect(&config.redis_url, &config.redis_prefix, "DENYLIST")
                    .await?;
            health = health.with(redis.health_check());
            Some(Arc::new(RedisDenylist::new(redis)))
        }
    };
    Ok((TokenCheck { keys, denylist }, health))
}

/// How late a logout or a demotion reaches this server, said at start.
fn staleness(config: &Config) -> String {
    match (config.mode, config.denylist) {
        (Mode::Jwt, SharedDenylist::Off) => "tokens are verified here alone: a logout or a \
             demotion reaches this server only when the token expires"
            .into(),
        (Mode::Jwt, SharedDenylist::Redis) => "tokens are verified here and looked up in \
             jwt-app's Redis denylist: a logout reaches this server at once; a demotion \
             only with the token's expiry or jwt-app's denial of the login"
            .into(),
        (Mode::Session, _) if config.introspection_cache_ttl.is_zero() => "every request asks \
             session-app: a logout or a demotion reaches this server at once"
            .into(),
        (Mode::Session, _) => format!(
            "session-app's answers are cached for {:?}: a logout or a demotion reaches this \
             server up to that much later",
            config.introspection_cache_ttl
        ),
    }
}
