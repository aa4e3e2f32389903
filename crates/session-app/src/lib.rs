//! session-app: the server that remembers a login in a server-side session,
//! named by an opaque `sid` cookie (tower-sessions).

mod csrf;
mod guard;
mod routes;
pub mod store;

use std::time::Duration;

use axum::{Router, middleware};
use clap::Parser;

pub use store::SessionStoreKind;

/// session-app's settings, from flags or the environment.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "session-app",
    version,
    about = "Login remembered in a server-side session (cookie `sid`)"
)]
pub struct Config {
    #[command(flatten)]
    pub common: auth_core::CommonConfig,

    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3001)]
    pub port: u16,

    /// Where sessions live: `memory` (lost on restart), `db` (the users' database)
    /// or `redis` (REDIS_URL; shared by every instance).
    #[arg(long, env = "SESSION_STORE", value_enum, default_value_t = SessionStoreKind::Memory)]
    pub session_store: SessionStoreKind,

    /// Redis for `--session-store redis`. Session keys are the bare session ids
    /// (tower-sessions-redis-store has no key prefix): to keep apps apart, give
    /// each its own logical database in the path, e.g. `redis://127.0.0.1:6379/2`.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// Lifetime of a session and of its cookie (`Max-Age`).
    #[arg(long, env = "SESSION_TTL", default_value = "24h", value_parser = auth_core::config::parse_duration)]
    pub session_ttl: Duration,

    /// Serve `GET /debug/store` (sessions held, bytes): for the compare harness, not for production.
    #[arg(long, env = "STORE_STATS", default_value_t = false)]
    pub store_stats: bool,

    /// Mark the cookie `Secure` (send it over HTTPS only): set it behind TLS.
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,
}

/// Builds the whole server: shared routes, login/logout, sessions, CSRF check.
pub async fn app(config: Config) -> anyhow::Result<Router> {
    let core = auth_core::Core::new(&config.common).await?;
    let sessions = store::SessionBackend::open(&config, core.db()).await?;

    let health = sessions.health_checks(
        auth_core::Health::new("session-app", config.session_store.label()).with(core.db().clone()),
    );

    let protected = auth_core::routes::protected(core.clone())
        .merge(routes::protected())
        .route_layer(middleware::from_fn(guard::require_session));
    let router = auth_core::routes::public(core.clone())
        .merge(routes::public(core.clone()))
        .merge(protected)
        .merge(health.router());
    let router = if config.store_stats {
        let measured = store::MeasuredSessions {
            sessions: sessions.clone(),
            db: core.db().clone(),
        };
        router.merge(auth_core::stats::router(
            config.session_store.label(),
            vec![("sessions", std::sync::Arc::new(measured))],
        ))
    } else {
        router
    };
    let router = sessions.layer(router, &config);
    let router = router.layer(middleware::from_fn(csrf::refuse_cross_origin));
    Ok(auth_core::http::finish(
        router,
        config.common.request_timeout,
    ))
}
