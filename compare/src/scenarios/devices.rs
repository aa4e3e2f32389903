//! One account signed in from several devices, each with its own
//! `User-Agent`: the setting of the account-lifecycle rows (your logins,
//! sign out everywhere, password change), where one device acts and the
//! others find out at their next request.

use anyhow::{Context, ensure};
use contract_client::client::{self as contract, PASSWORD};
use serde_json::Value;

use crate::lab::{
    Server,
    http::{Credential, Exchange, Http},
};

/// What the devices' browsers say they are, shown back in "your logins".
pub const USER_AGENTS: [&str; 3] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
];

/// One signed-in device.
pub struct Device {
    pub user_agent: &'static str,
    pub credential: Credential,
}

/// Logs `email` in once per user agent of `agents`, oldest first.
pub async fn sign_in(
    http: &Http,
    server: &Server,
    email: &str,
    agents: &[&'static str],
) -> anyhow::Result<Vec<Device>> {
    let mut devices = Vec::new();
    for &user_agent in agents {
        let ex = http
            .call(
                server,
                contract::login(email, PASSWORD).header("User-Agent", user_agent),
            )
            .send()
            .await?;
        ensure!(
            ex.status == 200,
            "login answered {}: {}",
            ex.status,
            ex.body
        );
        let credential = ex
            .credential()
            .with_context(|| format!("login gave no credential: {}", ex.body))?;
        devices.push(Device {
            user_agent,
            credential,
        });
    }
    Ok(devices)
}

/// One entry of `GET /account/logins`.
#[derive(Debug, Clone)]
pub struct Login {
    pub id: String,
    pub user_agent: String,
    pub current: bool,
}

/// `GET /account/logins` as `device` sees it: the exchange and its entries.
pub async fn logins(
    http: &Http,
    server: &Server,
    device: &Device,
) -> anyhow::Result<(Exchange, Vec<Login>)> {
    let ex = http
        .call(
            server,
            contract::logins(&device.credential).header("User-Agent", device.user_agent),
        )
        .send()
        .await?;
    let entries = ex.json()["logins"]
        .as_array()
        .map(|all| all.iter().filter_map(login).collect())
        .unwrap_or_default();
    Ok((ex, entries))
}

fn login(entry: &Value) -> Option<Login> {
    Some(Login {
        id: entry["id"].as_str()?.to_owned(),
        user_agent: entry["user_agent"].as_str().unwrap_or_default().to_owned(),
        current: entry["current"].as_bool().unwrap_or(false),
    })
}

/// `GET /protected` from `device`: its status.
pub async fn protected(http: &Http, server: &Server, device: &Device) -> anyhow::Result<u16> {
    Ok(http
        .get(server, "/protected")
        .auth(&device.credential)
        .header("User-Agent", device.user_agent)
        .send()
        .await?
        .status)
}

/// The status of a refresh with the device's refresh token; `None` for a
/// credential without one (a session).
pub async fn refresh(http: &Http, server: &Server, device: &Device) -> anyhow::Result<Option<u16>> {
    let Some(request) = contract::refresh(&device.credential) else {
        return Ok(None);
    };
    Ok(Some(http.call(server, request).send().await?.status))
}

/// The credential's expected status once its login has been ended on the
/// server: refused, except the access token of a JWT checked by signature
/// alone, which works until its `exp`.
pub fn after_the_end(config: &crate::columns::Configuration) -> u16 {
    if config.logout_revokes() { 401 } else { 200 }
}

/// `… · refresh 401` when the device holds a refresh token.
pub fn refresh_text(refresh: Option<u16>) -> String {
    refresh.map_or_else(String::new, |s| format!(" · its refresh {s}"))
}
