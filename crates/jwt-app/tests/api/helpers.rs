use std::{path::Path, sync::Arc};

use auth_core::redis::fred::{
    clients::Client, interfaces::ClientLike, types::config::Config as FredConfig,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use jwt_app::Config;
use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use tempfile::TempDir;
use test_support::{
    PASSWORD, TestServer, client,
    databases::{Kind, TestDatabase},
    json,
    outage::{expect_unavailable, timed},
    unique_email,
};

/// The HS256 secret every app started by [`spawn_app`] signs with, so that a
/// test can forge tokens the server would accept but for one detail.
pub const SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256";
pub const ISSUER: &str = "auth-compare";
pub const AUDIENCE: &str = "auth-compare-api";
/// The refresh TTL of the refresh-store suite and of every Redis test: short,
/// so that what a killed test run leaves in Redis goes soon, and long enough
/// for any test.
pub const REFRESH_TTL: &str = "10m";
pub const REFRESH_TTL_SECS: i64 = 600;

pub struct TestApp {
    pub server: TestServer,
    pub client: reqwest::Client,
    /// Shared with [`TestApp::sibling`]s, which use the same users' database.
    pub data_dir: Arc<TempDir>,
    args: Vec<String>,
}

/// The fields of a /login or /refresh answer.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// jwt-app with the test secret, a fresh data folder and cheap bcrypt.
pub async fn spawn_app(extra: &[&str]) -> TestApp {
    let mut args = vec!["--jwt-secret", SECRET];
    args.extend_from_slice(extra);
    spawn_app_without_secret(&args).await
}

/// jwt-app with only `extra` on top of the test defaults: no `--jwt-secret`,
/// so HS256 falls back to the key file.
pub async fn spawn_app_without_secret(extra: &[&str]) -> TestApp {
    let data_dir = Arc::new(test_support::data_dir());
    let args = extra.iter().map(|s| (*s).to_owned()).collect();
    start(data_dir, args).await
}

/// jwt-app with its users and refresh tokens in a fresh database of `kind`,
/// or `None` when that server is unreachable outside CI (already reported).
/// The database lives as long as the pair.
pub async fn spawn_app_on(kind: Kind, extra: &[&str]) -> Option<(TestDatabase, TestApp)> {
    let db = TestDatabase::create(kind).await?;
    let mut args = vec!["--database-url", db.url()];
    args.extend_from_slice(extra);
    let app = spawn_app(&args).await;
    Some((db, app))
}

pub fn config(data_dir: &Path, extra: &[String]) -> Result<Config, clap::Error> {
    let mut argv = base_args(data_dir);
    argv.extend(extra.iter().cloned());
    Config::try_parse_from(argv)
}

/// The program name and a fast, private setup: the data folder, cheap bcrypt.
fn base_args(data_dir: &Path) -> Vec<String> {
    vec![
        "jwt-app".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--bcrypt-cost".to_owned(),
        "4".to_owned(),
    ]
}

async fn start(data_dir: Arc<TempDir>, args: Vec<String>) -> TestApp {
    let config = config(data_dir.path(), &args).expect("valid test arguments");
    let app = jwt_app::app(config).await.expect("build the app");
    TestApp {
        server: TestServer::start(app).await,
        client: client(),
        data_dir,
        args,
    }
}

impl test_support::suite::Served for TestApp {
    fn server(&self) -> &TestServer {
        &self.server
    }

    fn operator(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_jwt-app"));
        let argv = base_args(self.data_dir.path());
        cmd.args(&argv[1..]).args(&self.args);
        cmd
    }

    fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Stops the server and starts a new one on the same data folder and
    /// arguments, as a process restart would.
    pub async fn restart(self) -> TestApp {
        let Self {
            server,
            data_dir,
            args,
            ..
        } = self;
        server.stop().await;
        start(data_dir, args).await
    }

    /// A second instance beside this one: same arguments (so the same key
    /// and Redis prefix) and the same users' database, as two processes of
    /// one deployment would be.
    pub async fn sibling(&self) -> TestApp {
        start(self.data_dir.clone(), self.args.clone()).await
    }

    pub async fn register(&self, email: &str) {
        let res = test_support::register(&self.client, &self.server, email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
    }

    pub async fn login(&self, email: &str) -> TokenPair {
        let res = test_support::login(&self.client, &self.server, email, PASSWORD).await;
        token_pair(res).await
    }

    /// A new user, logged in.
    pub async fn user(&self, prefix: &str) -> (String, TokenPair) {
        let email = unique_email(prefix);
        self.register(&email).await;
        let tokens = self.login(&email).await;
        (email, tokens)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("GET")
    }

    /// GET with a raw `Authorization` header value.
    pub async fn get_with_authorization(&self, path: &str, value: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(header::AUTHORIZATION, value)
            .send()
            .await
            .expect("GET")
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.client
            .post(self.url("/refresh"))
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .expect("POST /refresh")
    }

    pub async fn logout(&self, access: &str, body: Option<Value>) -> Response {
        let mut req = self.client.post(self.url("/logout")).bearer_auth(access);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("POST /logout")
    }

    /// Whether the app runs with a denylist (the last `--denylist` counts).
    pub fn denylist_on(&self) -> bool {
        let mode = self.args.windows(2).rev().find(|w| w[0] == "--denylist");
        mode.is_some_and(|w| w[1] != "off")
    }

    /// `GET /debug/store` (the app runs with `--store-stats`).
    pub async fn store_stats(&self) -> Value {
        let res = self.get("/debug/store", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("JSON")
    }

    pub async fn set_role(&self, admin_token: &str, email: &str, role: &str) -> Response {
        self.client
            .put(self.url(&format!("/admin/users/{email}/role")))
            .bearer_auth(admin_token)
            .json(&json!({ "role": role }))
            .send()
            .await
            .expect("PUT role")
    }
}

pub async fn token_pair(res: Response) -> TokenPair {
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "expected tokens, got {body}");
    TokenPair {
        access: body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned(),
        refresh: body["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_owned(),
    }
}

/// Asserts the 401 `invalid_grant` of a refused refresh token; the body, for
/// its message.
pub async fn expect_invalid_grant(res: Response) -> Value {
    test_support::expect_error(res, StatusCode::UNAUTHORIZED, "invalid_grant").await
}

/// While the refresh store is down, /refresh, /logout and /login answer 503
/// JSON naming `store` ("": any), quickly: none answers as if it had worked
/// (a new pair without its record, a 204 for a revocation that did not
/// happen, a login without a refresh token).
pub async fn expect_token_routes_unavailable(
    app: &TestApp,
    email: &str,
    tokens: &TokenPair,
    store: &str,
) {
    let refresh = timed("/refresh", app.refresh(&tokens.refresh)).await;
    expect_unavailable("/refresh", refresh, store).await;
    let logout = timed("/logout", app.logout(&tokens.access, None)).await;
    expect_unavailable("/logout", logout, store).await;
    let login = test_support::login(&app.client, &app.server, email, PASSWORD);
    expect_unavailable("/login", timed("/login", login).await, store).await;
}

/// The `WWW-Authenticate` header of a response, or "" without one.
pub fn challenge(res: &Response) -> String {
    res.headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ASCII header").to_owned())
        .unwrap_or_default()
}

/// Decodes one base64url part of a JWT, without checking anything.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a three-part JWT");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

pub fn claims(token: &str) -> Value {
    jwt_part(token, 1)
}

pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Signs `claims` with HS256 and `secret`, typed as an access token
/// (`typ: at+jwt`) as the server's own are.
pub fn sign(claims: &Value, secret: &str) -> String {
    sign_typed(claims, secret, Some("at+jwt"))
}

/// Signs `claims` with HS256 and `secret`, with the header's `typ` as given.
pub fn sign_typed(claims: &Value, secret: &str, typ: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign a test token")
}

/// Claims the test app would accept, for `base` (a real token's claims) with
/// fresh times.
pub fn valid_claims(base: &Value) -> Value {
    let mut claims = base.clone();
    claims["iat"] = json!(now());
    claims["exp"] = json!(now() + 300);
    claims["iss"] = json!(ISSUER);
    claims["aud"] = json!(AUDIENCE);
    claims
}

/// Asserts a 401 for a bad token: JSON error and the `invalid_token` challenge.
pub async fn expect_invalid_token(res: Response) {
    let challenge = challenge(&res);
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "challenge was {challenge:?}"
    );
    test_support::expect_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// A key prefix of this test's own, cleaned up when dropped
/// ([`test_support::redis::Prefix`]), with jwt-app's settings under it.
pub struct Prefix(test_support::redis::Prefix);

impl std::ops::Deref for Prefix {
    type Target = test_support::redis::Prefix;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Prefix {
    pub fn new(url: &str) -> Self {
        Self(test_support::redis::Prefix::new(url, "jwt"))
    }

    /// jwt-app arguments for both Redis stores under this prefix, plus `extra`.
    pub fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--denylist",
            "redis",
            "--refresh-store",
            "redis",
            "--redis-url",
            &self.url,
            "--redis-prefix",
            &self.prefix,
            "--refresh-ttl",
            REFRESH_TTL,
        ];
        args.extend_from_slice(extra);
        args
    }

    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }
}

/// A client of our own to look at keys as an operator would, apart from the
/// pool of the server under test.
pub async fn inspector(url: &str) -> Result<Client, auth_core::redis::fred::error::Error> {
    let client = Client::new(FredConfig::from_url(url)?, None, None, None);
    client.init().await?;
    Ok(client)
}
