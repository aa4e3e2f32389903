//! The workshop's side-by-side page (`just workshop`): session-app's and
//! jwt-app's own pages in two frames, each on its own origin (so cookies,
//! SameSite and Origin behave exactly as on the page alone), one control
//! per action that runs it on both, and under each a live view of what
//! that server received (its request inspector, relayed here: the page may
//! ask its own origin only). The resource server and the attacker's server
//! are shown too.

use std::sync::OnceLock;

use auth_core::{
    ApiError,
    inspect::{loopback_origin, relay},
};
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

const PAGE: &str = include_str!("page/index.html");

/// Where the page is served and the servers it shows, all on loopback.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "workshop", version)]
pub struct Config {
    /// Port on 127.0.0.1. The apps let exactly http://127.0.0.1:PORT frame
    /// their pages (their WORKSHOP_ORIGIN), so open it under that name.
    #[arg(long, env = "WORKSHOP_PORT", default_value_t = 4001)]
    pub port: u16,

    #[arg(long, env = "SESSION_APP_URL", default_value = "http://127.0.0.1:3001")]
    pub session_app_url: String,

    #[arg(long, env = "JWT_APP_URL", default_value = "http://127.0.0.1:3000")]
    pub jwt_app_url: String,

    #[arg(
        long,
        env = "RESOURCE_SERVER_URL",
        default_value = "http://127.0.0.1:3002"
    )]
    pub resource_server_url: String,

    #[arg(long, env = "ATTACKER_URL", default_value = "http://127.0.0.1:4000")]
    pub attacker_url: String,
}

/// The servers the page shows, by the name its routes use.
#[derive(Debug, Clone)]
struct Servers(Vec<(&'static str, String)>);

impl Servers {
    fn origin(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, origin)| origin.as_str())
    }
}

/// The page, and `GET /inspect/{server}?after=N`: what that server received.
pub fn app(config: &Config) -> anyhow::Result<Router> {
    let origin = |what: &str, url: &str| {
        loopback_origin(url).ok_or_else(|| {
            anyhow::anyhow!(
                "{what} {url:?} is not an http:// origin on a loopback name with a port"
            )
        })
    };
    let servers = Servers(vec![
        (
            "session-app",
            origin("SESSION_APP_URL", &config.session_app_url)?,
        ),
        ("jwt-app", origin("JWT_APP_URL", &config.jwt_app_url)?),
        (
            "resource-server",
            origin("RESOURCE_SERVER_URL", &config.resource_server_url)?,
        ),
        ("attacker", origin("ATTACKER_URL", &config.attacker_url)?),
    ]);
    let page = Page::new(&servers, config.port);
    Ok(Router::new()
        .route("/", get(move || async move { page.response() }))
        .route("/inspect/{server}", get(inspect))
        .with_state(servers))
}

/// The page with the servers' origins in its `<body>`, and a policy that
/// lets it frame the two apps and nothing else, and be framed by nobody.
#[derive(Clone)]
struct Page {
    html: &'static str,
    policy: HeaderValue,
}

impl Page {
    fn new(servers: &Servers, port: u16) -> Self {
        static HTML: OnceLock<String> = OnceLock::new();
        let at = |name| servers.origin(name).unwrap_or_default();
        let html = HTML.get_or_init(|| {
            [
                ("{{self}}", format!("http://127.0.0.1:{port}")),
                ("{{session}}", at("session-app").to_owned()),
                ("{{jwt}}", at("jwt-app").to_owned()),
                ("{{resource}}", at("resource-server").to_owned()),
                ("{{attacker}}", at("attacker").to_owned()),
            ]
            .iter()
            .fold(PAGE.to_owned(), |page, (slot, text)| {
                page.replace(slot, text)
            })
        });
        let policy = format!(
            "{}; frame-src {} {}",
            auth_core::page::policy(html),
            at("session-app"),
            at("jwt-app")
        );
        Self {
            html,
            policy: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
        }
    }

    fn response(&self) -> Response {
        (
            [
                (header::CONTENT_SECURITY_POLICY, self.policy.clone()),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            Html(self.html),
        )
            .into_response()
    }
}

async fn inspect(
    State(servers): State<Servers>,
    Path(server): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let origin = servers.origin(&server).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no server {server:?}: they are session-app, jwt-app, resource-server and attacker"
        ))
    })?;
    let (after, _) = auth_core::inspect::poll_query(query, &[])?;
    relay(origin, after).await.map(Json)
}
