//! The resource server's settings, from flags or the environment. The JWT
//! settings have the names jwt-app reads, so that one environment configures
//! both the same way.

use std::time::Duration;

use auth_core::config::{ServeConfig, parse_duration};
use clap::Parser;
use reqwest::Url;

/// How a request's credential is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Verify jwt-app's access tokens here, with the public key it publishes.
    Jwt,
    /// Ask session-app whom the session cookie belongs to, on every request.
    Session,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Session => "session",
        }
    }
}

/// Which of jwt-app's denylists to consult (jwt mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SharedDenylist {
    /// None: a token verifies until it expires, logged out or not (the
    /// articles' stateless JWT).
    Off,
    /// jwt-app's Redis denylist (`DENYLIST=redis` there, same `REDIS_URL` and
    /// `REDIS_PREFIX`): a logout reaches this server too, for a lookup per request.
    Redis,
}

impl SharedDenylist {
    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Redis => "redis",
        }
    }
}

/// A second service that trusts the login of jwt-app or session-app: it
/// holds no users and no keys, and serves notes to whoever they let in.
///
/// A flag given twice takes the last value, so that a wrapper's defaults can be overridden.
#[derive(Debug, Clone, Parser)]
#[command(name = "resource-server", version, args_override_self = true)]
pub struct Config {
    #[command(flatten)]
    pub serve: ServeConfig,

    /// Port to listen on. Not `PORT`: that one moves jwt-app and
    /// session-app, which run beside it from the same environment.
    #[arg(long, env = "API_PORT", default_value_t = 3002)]
    pub port: u16,

    /// `jwt`: verify jwt-app's tokens here with its public key; `session`:
    /// ask session-app about the cookie on every request.
    #[arg(long, env = "AUTH_MODE", value_enum, default_value_t = Mode::Jwt)]
    pub mode: Mode,

    /// jwt-app's base URL (http://), for jwt mode.
    #[arg(
        long,
        env = "JWT_APP_URL",
        default_value = "http://127.0.0.1:3000",
        hide_env_values = true
    )]
    pub jwt_app_url: Url,

    /// session-app's base URL (http://), for session mode.
    #[arg(
        long,
        env = "SESSION_APP_URL",
        default_value = "http://127.0.0.1:3001",
        hide_env_values = true
    )]
    pub session_app_url: Url,

    /// Longest a call to the login server may take, connecting included;
    /// then the request gets 503.
    #[arg(long, env = "UPSTREAM_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub upstream_timeout: Duration,

    /// `iss` required (jwt mode), as jwt-app writes it.
    #[arg(long, env = "JWT_ISSUER", default_value = "auth-compare")]
    pub jwt_issuer: String,

    /// `aud` required (jwt mode), as jwt-app writes it.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "auth-compare-api")]
    pub jwt_audience: String,

    /// Clock skew tolerated on `exp` and `nbf`, 5 s at most (jwt mode).
    #[arg(long, env = "JWT_LEEWAY", default_value = "5s", value_parser = parse_duration)]
    pub jwt_leeway: Duration,

    /// Least time between two fetches of the JWK Set caused by tokens naming
    /// an unknown key (jwt mode); a token with an unknown key in between gets
    /// 401 if the set in hand was fetched after the token was issued, else
    /// 503 (the key may be newer than the set).
    #[arg(long, env = "JWKS_REFETCH_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub jwks_refetch_interval: Duration,

    /// `redis`: consult jwt-app's Redis denylist, so that a logout reaches
    /// this server (jwt mode); `off`: the token alone decides.
    #[arg(long, env = "DENYLIST", value_enum, default_value_t = SharedDenylist::Off)]
    pub denylist: SharedDenylist,

    /// jwt-app's Redis, for `--denylist redis`.
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// jwt-app's `REDIS_PREFIX`, for `--denylist redis`.
    #[arg(long, env = "REDIS_PREFIX", default_value = "auth-compare:jwt:")]
    pub redis_prefix: String,

    /// How long session-app's answer about a cookie is reused (session
    /// mode); 0 asks on every request. A logout or a demotion reaches this
    /// server up to this much later.
    #[arg(long, env = "INTROSPECTION_CACHE_TTL", default_value = "0", value_parser = parse_duration)]
    pub introspection_cache_ttl: Duration,

    /// Serve `GET /debug/upstream` (the counts of verified requests and of
    /// calls to the login server), for the harness. Refused on a BIND other
    /// than loopback.
    #[arg(long, env = "UPSTREAM_STATS", default_value_t = false)]
    pub upstream_stats: bool,
}

impl Config {
    /// The login server of the mode: jwt-app or session-app.
    pub fn login_server(&self) -> Url {
        match self.mode {
            Mode::Jwt => self.jwt_app_url.clone(),
            Mode::Session => self.session_app_url.clone(),
        }
    }
}
