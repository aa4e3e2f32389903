//! session-app: the server that remembers a login in a server-side session,
//! named by an opaque `sid` cookie (tower-sessions).

mod guard;
mod introspection;
mod login;
mod logout;
mod page;
mod session_user;
pub mod store;

use std::{sync::Arc, time::Duration};

use auth_core::{
    Accounts, Health,
    command::Command,
    cors::AllowedOrigins,
    csrf, health, host,
    redis_counters::RedisCounters,
    routes,
    stats::{self, Measured},
};
use axum::{
    Router,
    extract::FromRef,
    middleware,
    routing::{get, post, put},
};
use clap::Parser;

pub use store::{SessionBackend, SessionCookie, SessionStoreKind};

/// Login remembered in a server-side session (cookie `sid`).
///
/// A flag given twice takes the last value, so that a wrapper's defaults can be overridden.
#[derive(Debug, Clone, Parser)]
#[command(name = "session-app", version, args_override_self = true)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    /// Instead of serving, run an operator's command with these settings.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// session-app's settings, from flags or the environment.
#[derive(Debug, Clone, Parser)]
#[command(name = "session-app", version, args_override_self = true)]
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
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// Start of the Redis keys session-app writes besides the sessions (the
    /// login throttle's counts, shared by every instance on that Redis).
    #[arg(long, env = "REDIS_PREFIX", default_value = "auth-compare:session:")]
    pub redis_prefix: String,

    /// Lifetime of a session and of its cookie (`Max-Age`).
    #[arg(long, env = "SESSION_TTL", default_value = "24h", value_parser = auth_core::config::parse_duration)]
    pub session_ttl: Duration,
}

/// What the handlers need, each taking its part (`State<Accounts>`, …).
/// Behind one `Arc`: axum clones the state for every request it routes,
/// and a clone of the parts themselves (strings, vectors, many `Arc`s) was
/// a few percent of the server's time in the profile (issue 12).
#[derive(Clone)]
struct AppState(Arc<StateParts>);

struct StateParts {
    accounts: Accounts,
    sessions: SessionBackend,
    health: Health,
    measured: Measured,
}

impl FromRef<AppState> for Accounts {
    fn from_ref(app: &AppState) -> Self {
        app.0.accounts.clone()
    }
}

impl FromRef<AppState> for Health {
    fn from_ref(app: &AppState) -> Self {
        app.0.health.clone()
    }
}

impl FromRef<AppState> for SessionBackend {
    fn from_ref(app: &AppState) -> Self {
        app.0.sessions.clone()
    }
}

impl FromRef<AppState> for Measured {
    fn from_ref(app: &AppState) -> Self {
        app.0.measured.clone()
    }
}

/// What the `session-app` binary runs: an operator's command (`session-app set-role
/// EMAIL admin`) with these settings, or the server. A role change needs
/// nothing more here: the role-gated routes read the database.
pub async fn main(Cli { config, command }: Cli) -> anyhow::Result<()> {
    let (common, port) = (config.common.clone(), config.port);
    auth_core::serve::command_or_serve(
        "session-app",
        command,
        &common,
        port,
        app(config),
        async |_| Ok(()),
    )
    .await
}

/// Builds the whole server: every route it serves, the session layer and the
/// CSRF check around them, and the middleware shared with jwt-app.
pub async fn app(config: Config) -> anyhow::Result<Router> {
    stats::refuse_public_bind(&config.common)?;
    csrf::warn_if_cookie_in_clear("session-app", &config.common);
    let origins = AllowedOrigins::from_config(&config.common)?;
    let csrf = csrf::Guard::from_config("session-app", &config.common, origins.clone())?;
    let accounts = Accounts::open(&config.common).await?;
    let sessions =
        SessionBackend::open(config.session_store, &config.redis_url, accounts.db()).await?;
    // With Redis at hand, every instance counts the same login attempts.
    let accounts = match sessions.redis_pool() {
        Some(pool) => accounts.with_counters(Arc::new(RedisCounters::new(
            pool.clone(),
            &format!("{}throttle:", config.redis_prefix),
        ))),
        None => accounts,
    };
    let label = config.session_store.label();
    let state = AppState(Arc::new(StateParts {
        health: sessions
            .health_checks(Health::new("session-app", label).with(accounts.db().clone())),
        measured: Measured::new(label, vec![("sessions", sessions.measured(accounts.db()))]),
        accounts,
        sessions: sessions.clone(),
    }));

    let mut router = Router::new()
        // Behind a live session:
        .route("/protected", get(routes::protected))
        .route("/profile", get(routes::profile))
        .route("/admin", get(routes::admin))
        .route("/admin/users/{email}/role", put(routes::set_role))
        .route("/logout", post(logout::logout))
        .route_layer(middleware::from_fn(guard::require_session))
        // Open to anyone:
        .route("/register", post(routes::register))
        .route("/login", post(login::login))
        // Whom a cookie belongs to, for services that hold no sessions (401
        // without one): it reads the session record itself, for its expiry.
        .route("/session", get(introspection::session))
        .route("/health", get(health::health))
        .route("/", get(page::page));
    if config.common.store_stats {
        router = router.route(
            "/debug/store",
            get(stats::store_stats).route_layer(middleware::from_fn(host::loopback_host_only)),
        );
    }
    let router = sessions
        .layer(
            router.with_state(state),
            config.session_ttl,
            SessionCookie {
                https: config.common.cookie_secure,
                same_site: config.common.cookie_samesite,
            },
        )
        .layer(middleware::from_fn_with_state(
            csrf,
            csrf::refuse_cross_origin,
        ));
    // Outside the CSRF check, so that an allowed page can read its refusals too.
    let router = origins.answer_cors(router, true);
    Ok(auth_core::middleware::finish(
        router,
        config.common.serve.request_timeout,
    ))
}
