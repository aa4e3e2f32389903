//! The harness's HTTP client: the contract's requests as
//! [`contract_client::client`] writes them, every one time-limited, and with
//! `--explain` every exchange printed as it happens.

use anyhow::Context;
use contract_client::client::{self as contract, PASSWORD, Request, unique_email};
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;

pub use contract_client::client::Credential;

use super::{explain::Explain, launcher::Server};

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
        contract::set_cookie(&self.headers, name)
    }

    /// The credential a login or refresh answer hands out, whichever kind.
    pub fn credential(&self) -> Option<Credential> {
        Credential::from_response(&self.headers, &self.json())
    }
}

/// A client for one configuration's exchanges, as a script would be (see
/// [`contract_client::client::client`]).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    explain: Option<Explain>,
    label: String,
}

impl Http {
    pub fn new(label: &str, explain: Option<Explain>) -> Self {
        Self {
            client: contract::client(),
            explain,
            label: label.to_owned(),
        }
    }

    pub fn get<'a>(&'a self, server: &'a Server, path: &str) -> Call<'a> {
        self.call(server, Request::new(Method::GET, path))
    }

    pub fn post<'a>(&'a self, server: &'a Server, path: &str) -> Call<'a> {
        self.call(server, Request::new(Method::POST, path))
    }

    pub fn put<'a>(&'a self, server: &'a Server, path: &str) -> Call<'a> {
        self.call(server, Request::new(Method::PUT, path))
    }

    /// One of the contract's requests, ready to send to `server`.
    pub fn call<'a>(&'a self, server: &'a Server, request: Request) -> Call<'a> {
        Call {
            http: self,
            server,
            request,
        }
    }

    pub fn explain(&self) -> Option<&Explain> {
        self.explain.as_ref()
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A request being built.
pub struct Call<'a> {
    http: &'a Http,
    server: &'a Server,
    request: Request,
}

impl Call<'_> {
    pub fn auth(mut self, credential: &Credential) -> Self {
        self.request = self.request.auth(credential);
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.request = self.request.json(body);
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub async fn send(self) -> anyhow::Result<Exchange> {
        let Self {
            http,
            server,
            request,
        } = self;
        let what = format!("{} {}", request.method, server.url(&request.path));
        if let Some(explain) = &http.explain {
            explain.request(
                &http.label,
                &request.method,
                &format!("{} {}", server.addr, request.path),
                &request.sent_headers(),
                request.body.as_ref(),
            );
        }
        let res = request
            .build(&http.client, &server.url(""))
            .send()
            .await
            .with_context(|| what.clone())?;
        let status = res.status();
        let headers = res.headers().clone();
        let text = res
            .text()
            .await
            .with_context(|| format!("{what}: reading the body"))?;
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
            explain.response(exchange.status, &exchange.headers, &exchange.body);
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
        .call(server, contract::register(email, PASSWORD))
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
        .call(server, contract::login(email, PASSWORD))
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

/// `POST /logout`, with jwt-app's refresh token.
pub async fn logout(http: &Http, server: &Server, credential: &Credential) -> anyhow::Result<u16> {
    Ok(http
        .call(server, contract::logout(credential))
        .send()
        .await?
        .status)
}

/// `POST /refresh` with the refresh token `credential` holds: the exchange,
/// and the new credential on success.
pub async fn refresh(
    http: &Http,
    server: &Server,
    credential: &Credential,
) -> anyhow::Result<(Exchange, Option<Credential>)> {
    let request = contract::refresh(credential)
        .with_context(|| format!("{}: the credential holds no refresh token", server.name))?;
    let ex = http.call(server, request).send().await?;
    let credential = (ex.status == 200).then(|| ex.credential()).flatten();
    Ok((ex, credential))
}
