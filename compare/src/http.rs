//! The harness's HTTP client: every request has a time limit, and with
//! `--explain` every exchange is printed as it happens.

use std::time::Duration;

use anyhow::Context;
use reqwest::{
    Method,
    header::{self, HeaderMap},
};
use serde_json::{Value, json};

use crate::{explain::Explain, server::Server};

/// Longest any single request may take. Generous for a debug build at a high
/// bcrypt cost; the load phase bounds itself separately.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// The password of every account the harness makes.
pub const PASSWORD: &str = "correct horse battery";

/// What a login hands the client, as the client sends it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The `sid=<id>` pair, sent in a `Cookie` header.
    Cookie(String),
    /// An access token sent as `Authorization: Bearer`, and the refresh token
    /// that came with it.
    Bearer {
        access: String,
        refresh: Option<String>,
    },
}

impl Credential {
    /// The header this credential travels in, as (name, value).
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Self::Cookie(pair) => ("Cookie", pair.clone()),
            Self::Bearer { access, .. } => ("Authorization", format!("Bearer {access}")),
        }
    }

    /// Bytes the credential adds to every request: `Name: value\r\n`.
    pub fn header_bytes(&self) -> usize {
        let (name, value) = self.header();
        name.len() + 2 + value.len() + 2
    }

    /// The secret part alone: the session id or the access token.
    pub fn value(&self) -> &str {
        match self {
            Self::Cookie(pair) => pair.split_once('=').map_or(pair.as_str(), |(_, v)| v),
            Self::Bearer { access, .. } => access,
        }
    }

    /// The same kind of credential carrying `value` instead: a tampered copy.
    pub fn with_value(&self, value: String) -> Self {
        match self {
            Self::Cookie(pair) => {
                let name = pair.split_once('=').map_or("sid", |(n, _)| n);
                Self::Cookie(format!("{name}={value}"))
            }
            Self::Bearer { refresh, .. } => Self::Bearer {
                access: value,
                refresh: refresh.clone(),
            },
        }
    }

    pub fn refresh_token(&self) -> Option<&str> {
        match self {
            Self::Cookie(_) => None,
            Self::Bearer { refresh, .. } => refresh.as_deref(),
        }
    }
}

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    /// Bytes of the response on the wire (HTTP/1.1): status line, headers, body.
    pub wire_bytes: usize,
}

impl Exchange {
    /// The body as JSON, `Null` when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The error code of a JSON error body, if any.
    pub fn error_code(&self) -> Option<String> {
        self.json()["error"].as_str().map(str::to_owned)
    }

    /// The full `Set-Cookie: sid=…` line, attributes included.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&prefix))
            .map(str::to_owned)
    }

    /// The credential a login or refresh answer hands out, whichever kind.
    pub fn credential(&self) -> Option<Credential> {
        if let Some(line) = self.set_cookie("sid") {
            let pair = line.split(';').next().unwrap_or_default().trim().to_owned();
            return Some(Credential::Cookie(pair));
        }
        let body = self.json();
        let access = body["access_token"].as_str()?.to_owned();
        let refresh = body["refresh_token"].as_str().map(str::to_owned);
        Some(Credential::Bearer { access, refresh })
    }
}

/// A client for one configuration's exchanges, as a script would be: no
/// cookie jar (the harness attaches each credential itself, so it is plain
/// what is sent), no redirects, no proxy, bounded waits.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    explain: Option<Explain>,
    label: String,
}

impl Http {
    pub fn new(label: &str, explain: Option<Explain>) -> anyhow::Result<Self> {
        Ok(Self {
            client: client()?,
            explain,
            label: label.to_owned(),
        })
    }

    pub fn get<'a>(&'a self, server: &Server, path: &str) -> Call<'a> {
        self.call(Method::GET, server, path)
    }

    pub fn post<'a>(&'a self, server: &Server, path: &str) -> Call<'a> {
        self.call(Method::POST, server, path)
    }

    pub fn put<'a>(&'a self, server: &Server, path: &str) -> Call<'a> {
        self.call(Method::PUT, server, path)
    }

    fn call<'a>(&'a self, method: Method, server: &Server, path: &str) -> Call<'a> {
        Call {
            http: self,
            method,
            url: server.url(path),
            target: format!("{} {path}", server.addr),
            credential: None,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn explain(&self) -> Option<&Explain> {
        self.explain.as_ref()
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A client with the harness's limits, for callers that need the raw one (load).
pub fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .context("cannot build the HTTP client")
}

/// A request being built.
pub struct Call<'a> {
    http: &'a Http,
    method: Method,
    url: String,
    /// `addr path`, for the explain printer.
    target: String,
    credential: Option<Credential>,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Call<'_> {
    pub fn auth(mut self, credential: &Credential) -> Self {
        self.credential = Some(credential.clone());
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub async fn send(self) -> anyhow::Result<Exchange> {
        let Self {
            http,
            method,
            url,
            target,
            credential,
            body,
            headers,
        } = self;
        let mut sent: Vec<(&'static str, String)> = Vec::new();
        if let Some(c) = &credential {
            sent.push(c.header());
        }
        sent.extend(headers);
        let mut req = http.client.request(method.clone(), &url);
        for (name, value) in &sent {
            req = req.header(*name, value);
        }
        if let Some(body) = &body {
            req = req.json(body);
        }
        if let Some(explain) = &http.explain {
            explain.request(&http.label, &method, &target, &sent, body.as_ref());
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = res.status();
        let headers = res.headers().clone();
        let text = res
            .text()
            .await
            .with_context(|| format!("{method} {url}: reading the body"))?;
        let head: usize = headers
            .iter()
            .map(|(n, v)| n.as_str().len() + 2 + v.len() + 2)
            .sum();
        let status_line = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        let exchange = Exchange {
            status: status.as_u16(),
            headers,
            wire_bytes: status_line.len() + head + 2 + text.len(),
            body: text,
        };
        if let Some(explain) = &http.explain {
            explain.response(&exchange);
        }
        Ok(exchange)
    }
}

/// Registers a fresh account; its email is unique within this run.
pub async fn register(http: &Http, server: &Server, prefix: &str) -> anyhow::Result<String> {
    let email = unique_email(prefix);
    register_as(http, server, &email).await?;
    Ok(email)
}

pub async fn register_as(http: &Http, server: &Server, email: &str) -> anyhow::Result<()> {
    let ex = http
        .post(server, "/register")
        .json(json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        ex.status == 201,
        "{}: register answered {}: {}",
        server.name,
        ex.status,
        ex.body
    );
    Ok(())
}

/// Logs in and returns the credential, with the login exchange itself.
pub async fn login(
    http: &Http,
    server: &Server,
    email: &str,
) -> anyhow::Result<(Credential, Exchange)> {
    let ex = http
        .post(server, "/login")
        .json(json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        ex.status == 200,
        "{}: login answered {}: {}",
        server.name,
        ex.status,
        ex.body
    );
    let credential = ex.credential().with_context(|| {
        format!(
            "{}: login gave neither a sid cookie nor an access token: {}",
            server.name, ex.body
        )
    })?;
    Ok((credential, ex))
}

/// Registers a fresh account and logs it in.
pub async fn new_user(
    http: &Http,
    server: &Server,
    prefix: &str,
) -> anyhow::Result<(String, Credential)> {
    let email = register(http, server, prefix).await?;
    let (credential, _) = login(http, server, &email).await?;
    Ok((email, credential))
}

/// The status of `GET path` with `credential`.
pub async fn status(
    http: &Http,
    server: &Server,
    path: &str,
    credential: &Credential,
) -> anyhow::Result<u16> {
    Ok(http.get(server, path).auth(credential).send().await?.status)
}

/// `POST /logout` as each app expects it: jwt-app also gets the refresh
/// token, so that its family is revoked with it.
pub async fn logout(http: &Http, server: &Server, credential: &Credential) -> anyhow::Result<u16> {
    let mut call = http.post(server, "/logout").auth(credential);
    if let Some(refresh) = credential.refresh_token() {
        call = call.json(json!({"refresh_token": refresh}));
    }
    Ok(call.send().await?.status)
}

/// `POST /refresh`: the exchange, and the new credential on success.
pub async fn refresh(
    http: &Http,
    server: &Server,
    refresh_token: &str,
) -> anyhow::Result<(Exchange, Option<Credential>)> {
    let ex = http
        .post(server, "/refresh")
        .json(json!({"refresh_token": refresh_token}))
        .send()
        .await?;
    let credential = (ex.status == 200).then(|| ex.credential()).flatten();
    Ok((ex, credential))
}

fn unique_email(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}@example.com", N.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::Credential;

    #[test]
    fn credentials_know_their_header() {
        let cookie = Credential::Cookie("sid=abc".into());
        assert_eq!(cookie.header(), ("Cookie", "sid=abc".to_owned()));
        assert_eq!(cookie.header_bytes(), "Cookie: sid=abc\r\n".len());
        assert_eq!(cookie.value(), "abc");
        assert_eq!(cookie.with_value("xyz".into()).value(), "xyz");
        let bearer = Credential::Bearer {
            access: "a.b.c".into(),
            refresh: Some("r".into()),
        };
        assert_eq!(bearer.header().1, "Bearer a.b.c");
        assert_eq!(bearer.with_value("d.e.f".into()).refresh_token(), Some("r"));
    }
}
