//! session-app: the server that remembers a login in a server-side session,
//! named by an opaque `sid` cookie (tower-sessions).

mod account;
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
    openapi::{self, About, Credential},
    redis_counters::RedisCounters,
    routes,
    stats::{self, Measured, Writes},
};
use axum::{Router, extract::FromRef, middleware, routing::get};
use clap::Parser;
use utoipa_axum::{router::OpenApiRouter, routes};

use session_user::Lifetimes;
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

    /// Absolute lifetime of a session from its login, whatever its activity.
    #[arg(long, env = "SESSION_TTL", default_value = "24h", value_parser = auth_core::config::parse_duration)]
    pub session_ttl: Duration,

    /// A session unused this long ends; activity slides it (recorded at
    /// most once a minute, or a quarter of this if shorter).
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = auth_core::config::parse_duration)]
    pub session_idle_timeout: Duration,
}

impl Config {
    fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            ttl: self.session_ttl,
            idle: self.session_idle_timeout,
        }
    }
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
    lifetimes: Lifetimes,
}

impl FromRef<AppState> for Lifetimes {
    fn from_ref(app: &AppState) -> Self {
        app.0.lifetimes
    }
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
    let inspector = auth_core::inspect::Inspector::for_app(&config.common)?;
    let framing = auth_core::page::Framing::from_config(&config.common)?;
    csrf::warn_if_cookie_in_clear("session-app", &config.common);
    let origins = AllowedOrigins::from_config(&config.common)?;
    let csrf = csrf::Guard::from_config("session-app", &config.common, origins.clone())?;
    let accounts = Accounts::open(&config.common).await?;
    let sessions = SessionBackend::open(
        config.session_store,
        &config.redis_url,
        &config.redis_prefix,
        accounts.db(),
    )
    .await?;
    // With Redis at hand, every instance counts the same login attempts.
    let accounts = match sessions.redis_pool() {
        Some(pool) => accounts.with_counters(Arc::new(RedisCounters::new(
            pool.clone(),
            &format!("{}throttle:", config.redis_prefix),
        ))),
        None => accounts,
    };
    let label = config.session_store.label();
    let writes = Arc::new(Writes::default());
    let state = AppState(Arc::new(StateParts {
        health: sessions
            .health_checks(Health::new("session-app", label).with(accounts.db().clone())),
        measured: Measured::new(label, vec![("sessions", sessions.measured(accounts.db()))])
            .with_index("logins", sessions.measured_index())
            .with_writes(writes.clone()),
        accounts,
        sessions: sessions.clone(),
        lifetimes: config.lifetimes(),
    }));

    // Each route's path comes from its handler's `#[utoipa::path]`, which
    // also documents it (auth_core::openapi).
    let (mut router, api) = OpenApiRouter::new()
        // Behind a live session:
        .routes(routes!(routes::protected))
        .routes(routes!(routes::profile))
        .routes(routes!(routes::admin))
        .routes(routes!(routes::set_role))
        .routes(routes!(logout::logout))
        .routes(routes!(account::logins))
        .routes(routes!(account::end_login))
        .routes(routes!(account::logout_everywhere))
        .routes(routes!(account::change_password))
        .routes(routes!(account::admin_end_logins))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            guard::require_session,
        ))
        // Open to anyone:
        .routes(routes!(routes::register))
        .routes(routes!(login::login))
        // Whom a cookie belongs to, for services that hold no sessions (401
        // without one): it reads the session record itself, for its expiry.
        .routes(routes!(introspection::session))
        .routes(routes!(health::health))
        // The workshop's page, not part of the API.
        .route("/", get(page::page))
        .split_for_parts();
    if config.common.store_stats {
        router = router.route(
            "/debug/store",
            get(stats::store_stats).route_layer(middleware::from_fn(host::loopback_host_only)),
        );
    }
    let api = openapi::finish(
        api,
        About {
            title: "session-app",
            version: env!("CARGO_PKG_VERSION"),
            description: "A login remembered in a server-side session, named by an opaque cookie.",
            credential: Credential::Cookie(auth_core::cookie_names::session(
                config.common.cookie_secure,
            )),
            csrf_checked: true,
        },
    );
    let router = openapi::serve(router, &api)?;
    let router = sessions
        .layer(
            router.with_state(state),
            config.session_ttl.min(config.session_idle_timeout),
            SessionCookie {
                https: config.common.cookie_secure,
                same_site: config.common.cookie_samesite,
            },
            writes,
        )
        .layer(middleware::from_fn_with_state(
            csrf,
            csrf::refuse_cross_origin,
        ));
    // Outside the CSRF check, so that an allowed page can read its refusals too.
    let router = origins.answer_cors(framing.apply(router), true);
    Ok(auth_core::middleware::finish_inspected(
        router,
        config.common.serve.request_timeout,
        inspector,
    ))
}
