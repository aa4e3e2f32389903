use std::{net::SocketAddr, path::Path, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::Parser;
use contract_client::client::Credential;
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Response, StatusCode, header};
use serde_json::Value;
use tempfile::TempDir;
use test_support::{PASSWORD, TestServer, client, json, unique_email};

/// A login server (jwt-app or session-app) started from its own `app()` on
/// a data folder of its own, which a restart keeps.
pub struct LoginServer {
    pub server: TestServer,
    pub dir: Arc<TempDir>,
    kind: Kind,
    args: Vec<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Jwt,
    Session,
}

/// jwt-app with EdDSA keys, so that it publishes its public key.
pub async fn jwt_app(extra: &[&str]) -> LoginServer {
    LoginServer::start(Kind::Jwt, extra, None).await
}

pub async fn session_app(extra: &[&str]) -> LoginServer {
    LoginServer::start(Kind::Session, extra, None).await
}

impl LoginServer {
    async fn start(kind: Kind, extra: &[&str], on: Option<SocketAddr>) -> Self {
        let dir = Arc::new(test_support::data_dir());
        let args = extra.iter().map(|s| (*s).to_owned()).collect();
        Self::start_in(kind, dir, args, on).await
    }

    async fn start_in(
        kind: Kind,
        dir: Arc<TempDir>,
        args: Vec<String>,
        on: Option<SocketAddr>,
    ) -> Self {
        let router = match kind {
            Kind::Jwt => jwt_app::app(parse(jwt_argv(dir.path(), &args))).await,
            Kind::Session => session_app::app(parse(session_argv(dir.path(), &args))).await,
        }
        .expect("start the login server");
        let server = match on {
            Some(addr) => TestServer::start_on(addr, router).await,
            None => TestServer::start(router).await,
        };
        Self {
            server,
            dir,
            kind,
            args,
        }
    }

    /// jwt-app started on `addr`, a port the resource server was told of
    /// before anyone listened there.
    pub async fn jwt_app_on(addr: SocketAddr, extra: &[&str]) -> Self {
        Self::start(Kind::Jwt, extra, Some(addr)).await
    }

    pub fn url(&self) -> String {
        self.server.url("")
    }

    /// Stops it, as a process that exits.
    pub async fn stop(self) -> Stopped {
        let addr = self.server.addr;
        self.server.stop().await;
        Stopped {
            addr,
            dir: self.dir,
            kind: self.kind,
            args: self.args,
        }
    }

    /// Registers a new user and logs it in.
    pub async fn user(&self, prefix: &str) -> (String, Credential) {
        let email = unique_email(prefix);
        let res = test_support::register(&client(), &self.server, &email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {email}");
        let cred = self.login(&email).await;
        (email, cred)
    }

    pub async fn login(&self, email: &str) -> Credential {
        test_support::login_credential(&self.server, email, PASSWORD).await
    }

    /// `POST /logout` with `cred`, as its holder sends it.
    pub async fn logout(&self, cred: &Credential) {
        let res = contract_client::client::logout(cred)
            .build(&client(), &self.url())
            .send()
            .await
            .expect("POST /logout");
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "logout");
    }

    /// The operator's `set-role EMAIL ROLE`, as the app's binary runs it
    /// (its `main` with the subcommand), on this server's settings.
    pub async fn set_role(&self, email: &str, role: &str) {
        let mut args = self.args.clone();
        args.extend(["set-role".into(), email.into(), role.into()]);
        match self.kind {
            Kind::Jwt => jwt_app::main(parse(jwt_argv(self.dir.path(), &args))).await,
            Kind::Session => session_app::main(parse(session_argv(self.dir.path(), &args))).await,
        }
        .unwrap_or_else(|e| panic!("set-role {email} {role}: {e:#}"));
    }

    /// jwt-app's signing key, read from its key file: what an insider (or a
    /// thief of the file) could sign with.
    pub fn signing_key(&self) -> SigningKey {
        let seed = std::fs::read(self.dir.path().join("jwt-ed25519.key")).expect("the key file");
        SigningKey::from_bytes(&seed.try_into().expect("a 32-byte seed"))
    }
}

/// A login server that was stopped; it can start again on the same port.
pub struct Stopped {
    pub addr: SocketAddr,
    dir: Arc<TempDir>,
    kind: Kind,
    args: Vec<String>,
}

impl Stopped {
    /// The same settings and data folder on the same address.
    pub async fn restart(self) -> LoginServer {
        LoginServer::start_in(self.kind, self.dir, self.args, Some(self.addr)).await
    }

    /// The same settings and users, but a new signing key: jwt-app rotated
    /// its key (the old key file removed).
    pub async fn restart_with_a_new_key(self) -> LoginServer {
        std::fs::remove_file(self.dir.path().join("jwt-ed25519.key")).expect("remove the key");
        self.restart().await
    }
}

/// The settings (`Config`), or the whole command line with a subcommand (`Cli`).
fn parse<P: clap::Parser>(argv: Vec<String>) -> P {
    P::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}

fn jwt_argv(dir: &Path, extra: &[String]) -> Vec<String> {
    let base = ["--jwt-alg", "EdDSA"].map(str::to_owned);
    argv("jwt-app", dir)
        .into_iter()
        .chain(base)
        .chain(extra.iter().cloned())
        .collect()
}

fn session_argv(dir: &Path, extra: &[String]) -> Vec<String> {
    argv("session-app", dir)
        .into_iter()
        .chain(extra.iter().cloned())
        .collect()
}

/// The program name and a fast, private setup: the data folder, cheap bcrypt.
fn argv(program: &str, dir: &Path) -> Vec<String> {
    vec![
        program.to_owned(),
        "--data-dir".to_owned(),
        dir.display().to_string(),
        "--bcrypt-cost".to_owned(),
        "4".to_owned(),
    ]
}

/// The resource server, in front of the login server at `login_server`.
pub struct Resource {
    pub server: TestServer,
}

/// Starts the resource server in front of `login_server` (in either mode)
/// with `--upstream-stats` and `extra`.
pub async fn resource(login_server: &str, extra: &[&str]) -> Resource {
    let config = resource_config(login_server, extra).expect("valid resource-server arguments");
    let app = resource_server::app(config)
        .await
        .expect("start the resource server");
    Resource {
        server: TestServer::start(app).await,
    }
}

pub fn resource_config(
    login_server: &str,
    extra: &[&str],
) -> Result<resource_server::Config, clap::Error> {
    let base = [
        "resource-server",
        "--jwt-app-url",
        login_server,
        "--session-app-url",
        login_server,
        "--upstream-stats",
    ];
    resource_server::Config::try_parse_from(base.iter().chain(extra))
}

/// The resource server in jwt mode in front of `jwt`, its keys fetched.
pub async fn jwt_resource(jwt: &LoginServer, extra: &[&str]) -> Resource {
    let resource = resource(&jwt.url(), extra).await;
    resource.wait_for_keys().await;
    resource
}

pub async fn session_resource(session: &LoginServer, extra: &[&str]) -> Resource {
    let args = [&["--mode", "session"], extra].concat();
    resource(&session.url(), &args).await
}

impl Resource {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub async fn get(&self, path: &str, cred: Option<&Credential>) -> Response {
        let req = client().get(self.url(path));
        let req = match cred {
            Some(cred) => cred.attach(req),
            None => req,
        };
        req.send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `GET path` with a bearer token.
    pub async fn get_bearer(&self, path: &str, token: &str) -> Response {
        self.get(path, Some(&bearer(token))).await
    }

    /// `GET /debug/upstream`.
    pub async fn counters(&self) -> Counts {
        let (status, body) = json(self.get("/debug/upstream", None).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Counts(body)
    }

    /// Waits until the first fetch of jwt-app's keys is done (it runs in
    /// the background from the start).
    pub async fn wait_for_keys(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let res = self.get("/health", None).await;
            if res.status() == StatusCode::OK {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the keys were not fetched: {}",
                res.text().await.unwrap_or_default()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// The counters of `/debug/upstream`.
#[derive(Debug, Clone)]
pub struct Counts(pub Value);

impl Counts {
    pub fn get(&self, name: &str) -> u64 {
        self.0[name]
            .as_u64()
            .unwrap_or_else(|| panic!("no counter {name} in {}", self.0))
    }
}

pub fn bearer(token: &str) -> Credential {
    Credential::Bearer {
        access: token.to_owned(),
        refresh: None,
    }
}

/// The status and body of a notes request, asserting the JSON shape of an error.
pub async fn status_of(res: Response) -> StatusCode {
    let (status, body) = json(res).await;
    if !status.is_success() {
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{status}: {body}"
        );
    }
    status
}

/// The `WWW-Authenticate` header, or "".
pub fn challenge(res: &Response) -> String {
    res.headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .unwrap_or_default()
}

/// Decodes one base64url part of a JWT, checking nothing.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a three-part JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Signs `claims` with EdDSA and `key`, typed as an access token, naming `kid`.
pub fn sign_eddsa(claims: &Value, key: &SigningKey, kid: &str) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.to_owned());
    let der = key.to_pkcs8_der().expect("PKCS#8");
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
        .expect("sign a test token")
}

/// A new Ed25519 key nobody publishes.
pub fn stranger_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}
