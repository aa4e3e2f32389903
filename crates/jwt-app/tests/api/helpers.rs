use std::{path::Path, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use jwt_app::Config;
use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use tempfile::TempDir;
use test_support::{PASSWORD, TestServer, client, json, unique_email};

/// The HS256 secret every app started by [`spawn_app`] signs with, so that a
/// test can forge tokens the server would accept but for one detail.
pub const SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256";
pub const ISSUER: &str = "auth-compare";
pub const AUDIENCE: &str = "auth-compare-api";

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

pub fn config(data_dir: &Path, extra: &[String]) -> Result<Config, clap::Error> {
    let mut argv = vec![
        "jwt-app".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--bcrypt-cost".to_owned(),
        "4".to_owned(),
    ];
    argv.extend(extra.iter().cloned());
    Config::try_parse_from(argv)
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

/// Signs `claims` with HS256 and `secret`.
pub fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
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
