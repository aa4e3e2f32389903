//! Row 11: What the client can read: the JWT decoded without any key, against an
//! opaque session id.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    jwt_by_hand::decode_jwt,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "client-readable",
    title: "What the client can read",
    claim: "A JWT is self-contained: the client can read the user's data from it.",
    lesson: "Anyone holding the JWT reads every claim without a key: signed is not encrypted, \
             so nothing secret goes in a JWT. The session id is random bytes naming a record \
             the client never sees, in a cookie page scripts cannot read (HttpOnly). A JWT \
             in such a cookie (jwt/cookie) still carries every claim, but page scripts can \
             no longer read it: only whoever holds the cookie itself.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "reader").await?;
    let (credential, login) = http::login(&http, &server, &email).await?;
    let (_, pair) = credential.header();
    let cookie_name = pair.split_once('=').map_or("", |(n, _)| n);
    let http_only = credential.is_cookie()
        && login.set_cookie(cookie_name).is_some_and(|c| {
            c.split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("HttpOnly"))
        });
    let Some(access) = credential.jwt() else {
        let id = credential.value();
        let bits = URL_SAFE_NO_PAD.decode(id).map_or(0, |b| b.len() * 8);
        let readable = claims_in(id);
        lab.note(
            config.name,
            &format!("the cookie value {id:?} decodes to {bits} random bits, no data"),
        );
        return Ok(Cell::new(
            format!(
                "opaque id, {} chars ({bits} bits), {readable} claims{}",
                id.chars().count(),
                if http_only {
                    "; HttpOnly: scripts cannot read it"
                } else {
                    ""
                }
            ),
            readable,
            readable == 0 && http_only && bits >= 128,
        ));
    };
    let claims = decode_jwt(access).map(|(_, c)| c).unwrap_or(Value::Null);
    let keys: Vec<String> = claims
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    lab.note(
        config.name,
        &format!("the access token, decoded without any key: {claims}"),
    );
    let shown: Vec<String> = keys
        .iter()
        .map(|k| match k.as_str() {
            "role" => format!("role={}", claims["role"].as_str().unwrap_or("?")),
            _ => k.clone(),
        })
        .collect();
    let readable = format!("{} claims, no key needed: {}", keys.len(), shown.join(", "));
    let carries_the_user = claims["email"] == email.as_str();
    if !credential.is_cookie() {
        return Ok(Cell::new(readable, keys.len(), carries_the_user));
    }
    // The value counts what page scripts read: none, with HttpOnly.
    Ok(if http_only {
        Cell::new(
            format!(
                "HttpOnly: page scripts read 0 claims · whoever holds the cookie reads {readable}"
            ),
            0,
            carries_the_user,
        )
    } else {
        Cell::new(
            format!("not HttpOnly: page scripts read {readable}"),
            keys.len(),
            false,
        )
    })
}

/// How many claims a credential value yields to someone without a key.
fn claims_in(value: &str) -> usize {
    decode_jwt(value)
        .and_then(|(_, c)| c.as_object().map(|m| m.len()))
        .unwrap_or(0)
}
