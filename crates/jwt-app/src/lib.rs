//! jwt-app: the same users and routes as session-app, with the credential a
//! signed JWT carried in `Authorization: Bearer` (or, with
//! `TOKEN_TRANSPORT=cookie`, in an HttpOnly cookie), plus an opaque, rotating
//! refresh token kept server-side.

mod account;
pub mod bearer;
pub mod denylist;
pub mod jwks;
pub mod keys;
mod login;
mod logout;
mod page;
pub mod redis;
mod refresh;
pub mod refresh_tokens;
mod revocation;
mod set_role;
mod store_writes;
pub mod tokens;
pub mod transport;
pub mod verification;

use std::{sync::Arc, time::Duration};

use auth_core::{
    Accounts, Health, RoleChange,
    command::Command,
    config::parse_duration,
    cors::AllowedOrigins,
    csrf, health, host,
    openapi::{self, About, Credential},
    redis_counters::RedisCounters,
    routes,
    stats::{self, Measured, MeasuredStore, Writes},
};
use axum::{Router, extract::FromRef, middleware, routing::get};
use clap::Parser;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use denylist::{Denylist, DenylistMode, MemoryDenylist, RedisDenylist};
pub use jwks::PublishedKeys;
pub use keys::{JwtAlg, Secret};
pub use redis::Redis;
pub use refresh_tokens::{
    DbRefreshStore, RedisRefreshStore, RefreshStore, RefreshStoreKind, RefreshToken,
};
pub use tokens::Tokens;
pub use transport::{TokenTransport, Transport};
pub use verification::{Claims, Verification};

use refresh::Refresher;
use revocation::Revocation;
use store_writes::Counted;

/// Stateless JWT access tokens with rotating refresh tokens.
///
/// A flag given twice takes the last value, so that a wrapper's defaults can be overridden.
#[derive(Debug, Clone, Parser)]
#[command(name = "jwt-app", version, args_override_self = true)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    /// Instead of serving, run an operator's command with these settings.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// jwt-app's settings, from flags or the environment.
#[derive(Debug, Clone, Parser)]
#[command(name = "jwt-app", version, args_override_self = true)]
pub struct Config {
    #[command(flatten)]
    pub common: auth_core::CommonConfig,

    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Signing algorithm; only this one is accepted when verifying.
    #[arg(long, env = "JWT_ALG", value_enum, ignore_case = true, default_value_t = JwtAlg::Hs256)]
    pub jwt_alg: JwtAlg,

    /// HS256 secret, 32 bytes at least; without it a key file in DATA_DIR is used.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// `iss` claim written and required.
    #[arg(long, env = "JWT_ISSUER", default_value = "auth-compare")]
    pub jwt_issuer: String,

    /// `aud` claim written and required.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "auth-compare-api")]
    pub jwt_audience: String,

    /// Lifetime of an access token.
    #[arg(long, env = "ACCESS_TTL", default_value = "15m", value_parser = parse_duration)]
    pub access_ttl: Duration,

    /// Lifetime of a refresh token (each rotation starts a new one).
    #[arg(long, env = "REFRESH_TTL", default_value = "7d", value_parser = parse_duration)]
    pub refresh_ttl: Duration,

    /// A refresh token unused this long is dead (ASVS 5.0 7.3.1): each
    /// refresh token expires this long after it was issued (or at
    /// `REFRESH_TTL`, or at the family's end, if sooner), so a refresh is the
    /// activity that moves the deadline. The access token is never cut short.
    #[arg(long, env = "REFRESH_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub refresh_idle_timeout: Duration,

    /// Absolute lifetime of a refresh family (a login): however often it
    /// rotates, none of its refresh tokens works past it.
    #[arg(long, env = "REFRESH_FAMILY_TTL", default_value = "30d", value_parser = parse_duration)]
    pub refresh_family_ttl: Duration,

    /// Clock skew tolerated on `exp` and `nbf`, 5 s at most.
    #[arg(long, env = "JWT_LEEWAY", default_value = "5s", value_parser = parse_duration)]
    pub jwt_leeway: Duration,

    /// Where logged-out access tokens are remembered until they expire; `off`
    /// keeps verification stateless and leaves the logout loophole open.
    #[arg(long, env = "DENYLIST", value_enum, default_value_t = DenylistMode::Off)]
    pub denylist: DenylistMode,

    /// Where refresh tokens live: `db` (the users' database) or `redis`
    /// (shared by every instance, so a replay seen by one revokes on all).
    #[arg(long, env = "REFRESH_STORE", value_enum, default_value_t = RefreshStoreKind::Db)]
    pub refresh_store: RefreshStoreKind,

    /// Redis for `--denylist redis` and `--refresh-store redis`.
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// Start of every Redis key this app writes, so that apps sharing a
    /// Redis keep apart (instances that should share revocation use the same).
    #[arg(long, env = "REDIS_PREFIX", default_value = "auth-compare:jwt:")]
    pub redis_prefix: String,

    /// Where the tokens travel: `header` (`Authorization: Bearer`, tokens in
    /// JSON bodies) or `cookie` (HttpOnly cookies the browser sends by
    /// itself; every state-changing request then passes the CSRF check).
    #[arg(long, env = "TOKEN_TRANSPORT", value_enum, default_value_t = TokenTransport::Header)]
    pub token_transport: TokenTransport,
}

impl Config {
    /// The settings that need Redis, for messages (`None`: none does).
    fn redis_users(&self) -> Option<&'static str> {
        match (
            self.denylist == DenylistMode::Redis,
            self.refresh_store == RefreshStoreKind::Redis,
        ) {
            (true, true) => Some("DENYLIST/REFRESH_STORE"),
            (true, false) => Some("DENYLIST"),
            (false, true) => Some("REFRESH_STORE"),
            (false, false) => None,
        }
    }
}

/// What the handlers and the bearer check need, each taking its part
/// (`State<Accounts>`, `State<Revocation>`, …), as in session-app. Behind
/// one `Arc`: axum clones the state for every request it routes (and the
/// bearer check once more), and a clone of the parts themselves (strings,
/// vectors, many `Arc`s) was a few percent of the server's time in the
/// profile (issue 12).
#[derive(Clone)]
struct AppState(Arc<StateParts>);

struct StateParts {
    accounts: Accounts,
    tokens: Arc<Tokens>,
    refresh: Arc<dyn RefreshStore>,
    revocation: Revocation,
    health: Health,
    measured: Measured,
    transport: Transport,
    /// What `GET /.well-known/jwks.json` answers (nothing with HS256).
    jwks: PublishedKeys,
}

/// Each part by itself, for the handler that takes it.
macro_rules! parts {
    ($($part:ty => $field:ident),* $(,)?) => {$(
        impl FromRef<AppState> for $part {
            fn from_ref(app: &AppState) -> Self {
                app.0.$field.clone()
            }
        }
    )*};
}

parts! {
    Accounts => accounts,
    Arc<Tokens> => tokens,
    Arc<dyn RefreshStore> => refresh,
    Revocation => revocation,
    Health => health,
    Measured => measured,
    Transport => transport,
    PublishedKeys => jwks,
}

impl FromRef<AppState> for Refresher {
    fn from_ref(app: &AppState) -> Self {
        let parts = &app.0;
        Self {
            accounts: parts.accounts.clone(),
            refresh: parts.refresh.clone(),
            revocation: parts.revocation.clone(),
            tokens: parts.tokens.clone(),
            transport: parts.transport,
        }
    }
}

/// What the `jwt-app` binary runs: an operator's command (`jwt-app set-role
/// EMAIL admin`) with these settings, then what a role change needs here
/// (the end of a demoted user's logins, as the admin's route does), or the
/// server.
pub async fn main(Cli { config, command }: Cli) -> anyhow::Result<()> {
    let (common, port) = (config.common.clone(), config.port);
    let after_command = async |change: &RoleChange| {
        if !change.to_user() {
            return Ok(());
        }
        // The server is another process: what it holds in memory (a memory
        // denylist) cannot be reached from here; the stores can.
        let state = AppState::open(&config).await?;
        let logins = state.0.revocation.after_role_change(change).await?;
        println!(
            "{} login(s) of {} revoked",
            logins.unwrap_or(0),
            change.user.email
        );
        if config.denylist == DenylistMode::Memory {
            println!(
                "DENYLIST=memory lives inside the running server: its access tokens work until they expire"
            );
        }
        Ok(())
    };
    auth_core::serve::command_or_serve(
        "jwt-app",
        command,
        &common,
        port,
        app(config.clone()),
        after_command,
    )
    .await
}

impl AppState {
    /// Checks the settings, loads or creates the signing key, opens and
    /// migrates the database, and connects to Redis if a store needs it (an
    /// unreachable Redis stops the start with a message naming `REDIS_URL`;
    /// see [`redis`]).
    async fn open(config: &Config) -> anyhow::Result<Self> {
        if [
            config.refresh_ttl,
            config.refresh_idle_timeout,
            config.refresh_family_ttl,
        ]
        .iter()
        .any(|d| d.as_secs() == 0)
        {
            anyhow::bail!(
                "REFRESH_TTL, REFRESH_IDLE_TIMEOUT and REFRESH_FAMILY_TTL must be at least 1 second"
            );
        }
        // The idle timeout is a refresh token's lifetime: every refresh
        // issues a new token, so "unused that long" is "expired". The stores
        // need no clock of their own for it, and the family's absolute end
        // (REFRESH_FAMILY_TTL) still caps every token.
        let refresh_ttl = config.refresh_ttl.min(config.refresh_idle_timeout);
        // Settings and key first: a bad secret should fail before any database work.
        let tokens = Tokens::from_config(config)?;

        let accounts = Accounts::open(&config.common).await?;
        // One pool for both Redis stores.
        let redis = match config.redis_users() {
            Some(needed_by) => {
                Some(Redis::connect(&config.redis_url, &config.redis_prefix, needed_by).await?)
            }
            None => None,
        };
        // With Redis at hand, every instance counts the same login attempts.
        let accounts = match &redis {
            Some(redis) => accounts.with_counters(Arc::new(RedisCounters::new(
                redis.pool().clone(),
                &redis.key("throttle", ""),
            ))),
            None => accounts,
        };
        let refresh: Arc<dyn RefreshStore> = match (config.refresh_store, &redis) {
            (RefreshStoreKind::Redis, Some(redis)) => Arc::new(RedisRefreshStore::new(
                redis.clone(),
                refresh_ttl,
                config.refresh_family_ttl,
            )),
            (RefreshStoreKind::Redis, None) => anyhow::bail!("REFRESH_STORE=redis without a Redis"),
            (RefreshStoreKind::Db, _) => Arc::new(DbRefreshStore::swept(
                accounts.db().clone(),
                refresh_ttl,
                config.refresh_family_ttl,
            )),
        };
        // Entries live an access TTL at most: sweeping more often than that,
        // or than once a minute, buys nothing.
        let sweep = config
            .access_ttl
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        let denylist = denylist::build(config.denylist, redis.as_ref(), sweep)?;
        // Every handler reaches the stores through these, so that
        // `/debug/store` counts each write a request makes.
        let writes = Arc::new(Writes::default());
        let refresh: Arc<dyn RefreshStore> = Arc::new(Counted::new(refresh, writes.clone()));
        let denylist =
            denylist.map(|d| -> Arc<dyn Denylist> { Arc::new(Counted::new(d, writes.clone())) });
        tracing::info!(
            denylist = config.denylist.label(),
            refresh_store = config.refresh_store.label(),
            "stores"
        );

        // `store` stays the denylist's label (what a request pays a lookup in);
        // the checks name Redis whenever either store lives there, so /health
        // answers 503 when it is down.
        let mut health =
            Health::new("jwt-app", config.denylist.label()).with(accounts.db().clone());
        if let Some(redis) = &redis {
            health = health.with(redis.health_check());
        }
        let mut measured: Vec<(&'static str, Arc<dyn MeasuredStore>)> =
            vec![("refresh_tokens", refresh.clone())];
        if let Some(denylist) = &denylist {
            measured.push(("denylist", denylist.clone()));
        }
        let jwks = tokens.published().clone();
        let tokens = Arc::new(tokens);
        Ok(Self(Arc::new(StateParts {
            accounts,
            jwks,
            revocation: Revocation::new(refresh.clone(), denylist, tokens.clone()),
            tokens,
            refresh,
            health,
            measured: Measured::new(config.denylist.label(), measured).with_writes(writes),
            transport: Transport::new(config.token_transport, config.common.cookie_secure)
                .with_same_site(config.common.cookie_samesite),
        })))
    }
}

/// The whole server: every route it serves, around the state of [`AppState::open`].
pub async fn app(config: Config) -> anyhow::Result<Router> {
    stats::refuse_public_bind(&config.common)?;
    let inspector = auth_core::inspect::Inspector::for_app(&config.common)?;
    let framing = auth_core::page::Framing::from_config(&config.common)?;
    let origins = AllowedOrigins::from_config(&config.common)?;
    // The header transport has no check to disable, but a server that
    // says it runs without one should not be reachable from elsewhere either.
    let csrf = if config.token_transport == TokenTransport::Cookie {
        csrf::warn_if_cookie_in_clear("jwt-app", &config.common);
        Some(csrf::Guard::from_config(
            "jwt-app",
            &config.common,
            origins.clone(),
        )?)
    } else {
        csrf::refuse_unsafe_public_bind(&config.common)?;
        None
    };
    let state = AppState::open(&config).await?;
    let transport = state.0.transport;
    // Each route's path comes from its handler's `#[utoipa::path]`, which
    // also documents it (auth_core::openapi); login and refresh have one
    // handler per transport, each documenting its own answer.
    let (login, refresh) = if transport.in_cookies() {
        (
            routes!(login::tokens_in_cookies),
            routes!(refresh::from_cookie),
        )
    } else {
        (routes!(login::tokens_in_body), routes!(refresh::from_body))
    };
    let (mut router, api) = OpenApiRouter::new()
        // Behind a valid access token:
        .routes(routes!(routes::protected))
        .routes(routes!(routes::profile))
        .routes(routes!(routes::admin))
        .routes(routes!(set_role::set_role))
        .routes(routes!(account::admin_end_logins))
        .routes(routes!(account::logout_everywhere))
        .routes(routes!(account::change_password))
        .routes(routes!(account::logins))
        .routes(routes!(account::end_login))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            bearer::require_bearer,
        ))
        // Open to anyone:
        .routes(routes!(routes::register))
        .routes(login)
        .routes(refresh)
        // Any credential, an expired access token or a refresh token alone
        // included, names the login to end (logout.rs).
        .routes(routes!(logout::logout))
        .routes(routes!(health::health))
        // The public key, for services that verify tokens themselves; 404 with HS256.
        .routes(routes!(jwks::jwks))
        // The workshop's page, not part of the API.
        .route("/", get(page::page))
        .split_for_parts();
    if config.common.store_stats {
        router = router.route(
            "/debug/store",
            get(stats::store_stats).route_layer(middleware::from_fn(host::loopback_host_only)),
        );
    }
    let credential = if transport.in_cookies() {
        Credential::Cookie(transport.access_cookie())
    } else {
        Credential::BearerJwt
    };
    let api = openapi::finish(
        api,
        About {
            title: "jwt-app",
            version: env!("CARGO_PKG_VERSION"),
            description: if transport.in_cookies() {
                "A login carried by a signed JWT in an HttpOnly cookie (TOKEN_TRANSPORT=cookie), \
                 with an opaque, rotating refresh token in another."
            } else {
                "A login carried by a signed JWT sent as `Authorization: Bearer`, with an \
                 opaque, rotating refresh token kept server-side."
            },
            credential,
            csrf_checked: csrf.is_some(),
        },
    );
    let router = openapi::serve(router, &api)?;
    let mut router = router.with_state(state);
    if let Some(csrf) = csrf {
        // The browser attaches the token cookies to requests other sites'
        // pages make; a bearer header it never attaches, so that transport
        // needs no check.
        router = router.layer(middleware::from_fn_with_state(
            csrf,
            csrf::refuse_cross_origin,
        ));
    }
    // Outside the CSRF check, so that an allowed page can read its refusals
    // too; credentials only where the browser holds them (cookies).
    let router = origins.answer_cors(framing.apply(router), transport.in_cookies());
    Ok(auth_core::middleware::finish_inspected(
        router,
        config.common.serve.request_timeout,
        inspector,
    ))
}
