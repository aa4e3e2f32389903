//! The floor the bench measures our servers against: for each kind of
//! library work that a `GET /protected` of session-app or jwt-app does, an
//! axum server that does that work and nothing else: no request log, no
//! middleware, no guard of ours. What a column costs above its bare
//! counterpart is what our code adds.
//!
//! Each server answers `POST /login` (any body; no password, no user table)
//! with a credential of its kind, and `GET /protected` with the same JSON
//! as ours once the credential checks out.

mod jwt;
mod session;

use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use axum::{Json, Router};
use serde_json::{Value, json};

/// Which library work the server does on `GET /protected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// An axum route and its JSON, nothing else.
    Route,
    /// tower-sessions with its own `MemoryStore`: one lookup and one read of the record.
    SessionMemory,
    /// tower-sessions with tower-sessions-sqlx-store's `SqliteStore`.
    SessionSqlite,
    /// tower-sessions with tower-sessions-redis-store (`--redis-url`).
    SessionRedis,
    /// jsonwebtoken: an HS256 signature and the same claims checks as jwt-app's.
    Hs256,
    /// jsonwebtoken: an EdDSA (Ed25519) signature, the same checks.
    Eddsa,
    /// An HS256 verify, then one Redis `EXISTS` of two keys through fred:
    /// the library work of jwt-app's Redis denylist.
    Hs256Redis,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Route => "bare/route",
            Self::SessionMemory => "bare/session-memory",
            Self::SessionSqlite => "bare/session-sqlite",
            Self::SessionRedis => "bare/session-redis",
            Self::Hs256 => "bare/hs256",
            Self::Eddsa => "bare/eddsa",
            Self::Hs256Redis => "bare/hs256+redis",
        }
    }

    pub fn needs_redis(self) -> bool {
        matches!(self, Self::SessionRedis | Self::Hs256Redis)
    }
}

/// A bare server's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    #[arg(value_enum)]
    pub kind: Kind,
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where `session-redis` keeps its sessions (a logical database of its
    /// own: the store's keys are bare session ids) and `hs256-redis` looks.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Start of the keys `hs256-redis` asks about.
    #[arg(long, default_value = "bare:")]
    pub redis_prefix: String,
}

/// The router of `config.kind`.
pub async fn app(config: &Config) -> anyhow::Result<Router> {
    Ok(match config.kind {
        Kind::Route => Router::new()
            .route("/protected", axum::routing::get(route))
            .route("/login", axum::routing::post(route)),
        Kind::SessionMemory => session::memory(),
        Kind::SessionSqlite => session::sqlite().await?,
        Kind::SessionRedis => session::redis(&config.redis_url).await?,
        Kind::Hs256 => jwt::app(jwt::Keys::hs256(), None),
        Kind::Eddsa => jwt::app(jwt::Keys::eddsa()?, None),
        Kind::Hs256Redis => jwt::app(
            jwt::Keys::hs256(),
            Some(jwt::Denylist::connect(&config.redis_url, &config.redis_prefix).await?),
        ),
    })
}

/// Serves `config.kind` until the process is stopped, after printing the
/// `listening on http://ADDR` line the harness waits for.
pub async fn main(config: Config) -> anyhow::Result<()> {
    let app = app(&config).await?;
    let addr = SocketAddr::new(config.bind, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The user every bare credential names: there is no user table.
const EMAIL: &str = "bare@example.com";

/// What our `/protected` answers, built the same way.
fn hello(email: &str) -> Json<Value> {
    Json(json!({"email": email, "message": format!("Hello {email}")}))
}

async fn route() -> Json<Value> {
    hello(EMAIL)
}
