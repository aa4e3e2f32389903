//! Row 1: Log in, then call /protected: both work; what differs is what the client
//! must send back, and who sends it.

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{
        Lab,
        http::{self, Credential},
    },
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "login",
    title: "Login, then /protected",
    claim: "Both log a user in; sessions need a cookie, a JWT is sent in a header.",
    lesson: "Both work. A browser sends the cookie by itself on every request; with a JWT the \
             client's own code must keep the token and add `Authorization: Bearer` to each call.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "login").await?;
    let (credential, _) = http::login(&http, &server, &email).await?;
    lab.note(config.name, "without the credential:");
    let anonymous = http.get(&server, "/protected").send().await?.status;
    lab.note(config.name, "with it:");
    let with = http
        .get(&server, "/protected")
        .auth(&credential)
        .send()
        .await?;
    let greets = with.json()["email"] == email.as_str();
    let sends = match credential {
        Credential::Cookie(_) => "Cookie: sid=… (the browser adds it)",
        Credential::JwtCookie { .. } => "Cookie: access_token=… (the browser adds it)",
        Credential::Bearer { .. } => "Authorization: Bearer … (client code adds it)",
    };
    Ok(Cell::new(
        format!("{} · sends {sends}; without it {anonymous}", with.status),
        with.status,
        with.status == 200
            && greets
            && anonymous == 401
            && credential.is_cookie() == config.in_cookie(),
    ))
}
