//! Row 13: A second service (the resource server, `GET /notes`) lets the
//! login in: how often it must ask the login server, how fast it answers,
//! and what it cannot know — a logout, a demotion — and whether it still
//! works with the login server down.

use std::time::Duration;

use anyhow::{Context, ensure};
use serde_json::Value;

use super::{Each, Scenario, role_change::set_role};
use crate::{
    columns::{Configuration, Store},
    lab::{
        Lab, Server,
        http::{self, Credential},
    },
    load,
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "decentralized",
    title: "A second service verifies",
    claim: "Any service can verify a JWT by itself; a session id means nothing without the store.",
    lesson: "True, and it is the logout loophole again, once per service: the resource server \
             checks a JWT with jwt-app's public key and never calls jwt-app (it keeps working \
             with jwt-app down), so it cannot know of a logout or a demotion until the token \
             expires, even when jwt-app itself keeps a denylist; asking the same Redis denylist \
             closes it, at the price of a lookup per request. A session id must be taken to its \
             owner on every request: one call per request, a logout and a demotion seen at once, \
             and nothing served (503) while session-app is down.",
    measure: &Each(one),
};

/// Requests counted for the calls per request.
const REQUESTS: u64 = 20;
/// Connections of the load on `/notes`.
const CONNECTIONS: usize = 16;

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let jwt = !config.is_session();
    let home = lab.home(config).await?;
    // jwt-app publishes a key to verify with only when it signs with one
    // that can be published (EdDSA); an HS256 secret would let the resource
    // server mint tokens too.
    let alg: &[&str] = if jwt { &["--jwt-alg", "EdDSA"] } else { &[] };
    let server = lab.start_in(config, &home, alg).await?;
    let http = lab.http(config)?;

    let boss_email = http::register(&http, &server, "boss").await?;
    lab.operator(config, &server, &["set-role", &boss_email, "admin"])
        .await?;
    let (boss, _) = http::login(&http, &server, &boss_email).await?;
    let reader = http::register(&http, &server, "reader").await?;
    set_role(&http, &server, &boss, &reader, "admin").await?;
    // Two logins of one admin: one to log out, one to demote.
    let (leaving, _) = http::login(&http, &server, &reader).await?;
    let (demoted, _) = http::login(&http, &server, &reader).await?;

    let api = lab.start_api(config, &server, &home, &[]).await?;
    // Where jwt-app's denylist is in Redis, a second resource server may ask
    // it too: the one way a logout reaches a service that verifies alone.
    let asking = if jwt && config.store == Store::Redis {
        let mut flags = vec!["--denylist".to_owned(), "redis".to_owned()];
        flags.extend(home.redis_flags());
        Some(lab.start_api(config, &server, &home, &flags).await?)
    } else {
        None
    };

    lab.note(
        config.name,
        "the login's credential, sent to the resource server:",
    );
    let first = http::status(&http, &api, "/notes", &leaving).await?;
    if first != 200 {
        // The jwt/cookie column: a browser sends the cookie to any port of
        // the host, but the resource server takes bearer tokens only (a
        // cookie would need a CSRF check of its own).
        return Ok(Cell::new(
            format!("{first}: the cookie reaches it, but it takes bearer tokens only"),
            first,
            jwt && config.in_cookie() && first == 401,
        ));
    }

    let calls = calls_per_request(&api, &leaving).await?;
    lab.note(
        config.name,
        &format!("{REQUESTS} GET /notes (not shown): {calls:.2} calls to the login server each"),
    );
    let (name, value) = leaving.header();
    let run = load::run(
        &load::Target::get(api.addr, "/notes", Some((name, &value)), 200),
        CONNECTIONS,
        if lab.quick {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(2)
        },
    )
    .await
    .context("the load on the resource server")?;
    let (rps, p99) = (run.rate(), run.quantile_ms(0.99));

    lab.note(
        config.name,
        "log out at the login server, then the same credential at the resource server:",
    );
    let logout = http::logout(&http, &server, &leaving).await?;
    ensure!(logout == 204, "logout answered {logout}");
    let after_logout = http::status(&http, &api, "/notes", &leaving).await?;
    let asked_after_logout = match &asking {
        Some(asking) => Some(http::status(&http, asking, "/notes", &leaving).await?),
        None => None,
    };

    lab.note(
        config.name,
        "the boss demotes the reader; the reader's other login on /notes/all:",
    );
    let admin = http::status(&http, &api, "/notes/all", &demoted).await?;
    ensure!(admin == 200, "the admin got {admin} on /notes/all");
    set_role(&http, &server, &boss, &reader, "user").await?;
    let after_demotion = http::status(&http, &api, "/notes/all", &demoted).await?;
    let asked_after_demotion = match &asking {
        Some(asking) => Some(http::status(&http, asking, "/notes/all", &demoted).await?),
        None => None,
    };

    lab.stop(server).await?;
    lab.note(config.name, "the login server is stopped; /notes again:");
    let down = http::status(&http, &api, "/notes", &demoted).await?;

    let speed = format!(
        "{} · p99 {}",
        Metric::RequestsPerS.show(rps),
        Metric::P99Ms.show(p99)
    );
    let cell = if jwt {
        let mut outcome = format!(
            "{calls:.0} calls to jwt-app per request · {speed} · after logout {after_logout} · \
             demoted admin {after_demotion} · jwt-app down {down}"
        );
        let mut asked = Vec::new();
        if let (Some(logout), Some(demotion)) = (asked_after_logout, asked_after_demotion) {
            outcome.push_str(&format!(
                " · asking jwt-app's Redis denylist: after logout {logout}, demoted {demotion}"
            ));
            asked = vec![
                ("asking_denylist_after_logout", logout),
                ("asking_denylist_after_demotion", demotion),
            ];
        }
        let asked_right = asked_after_logout.is_none_or(|s| s == 401)
            && asked_after_demotion.is_none_or(|s| s == 401);
        asked.into_iter().fold(
            Cell::new(
                outcome,
                calls,
                calls == 0.0
                    && after_logout == 200
                    && after_demotion == 200
                    && down == 200
                    && asked_right,
            ),
            |cell, (what, status)| cell.status(what, status),
        )
    } else {
        Cell::new(
            format!(
                "{calls:.0} call to session-app per request · {speed} · after logout \
                 {after_logout} · demoted admin {after_demotion} · session-app down {down}"
            ),
            calls,
            calls == 1.0 && after_logout == 401 && after_demotion == 403 && down == 503,
        )
    };
    Ok(cell
        .status("after_logout", after_logout)
        .status("after_demotion", after_demotion)
        .status("login_server_down", down)
        .with(Metric::LoginServerCallsPerRequest, calls)
        .with(Metric::RequestsPerS, rps)
        .with(Metric::P99Ms, p99))
}

/// Calls to the login server per request the resource server let through,
/// over [`REQUESTS`] requests, from its own counters.
async fn calls_per_request(api: &Server, credential: &Credential) -> anyhow::Result<f64> {
    let client = contract_client::client::client();
    let before = upstream(&client, api).await?;
    for _ in 0..REQUESTS {
        let status = credential
            .attach(client.get(api.url("/notes")))
            .send()
            .await?
            .status();
        ensure!(status == 200, "GET /notes answered {status}");
    }
    let after = upstream(&client, api).await?;
    let verified = after.0.saturating_sub(before.0);
    ensure!(
        verified == REQUESTS,
        "{verified} requests counted, not {REQUESTS}"
    );
    Ok(after.1.saturating_sub(before.1) as f64 / verified as f64)
}

/// (requests let through, calls to the login server) so far.
async fn upstream(client: &reqwest::Client, api: &Server) -> anyhow::Result<(u64, u64)> {
    let body: Value = client
        .get(api.url("/debug/upstream"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let count = |key: &str| {
        body[key]
            .as_u64()
            .with_context(|| format!("/debug/upstream has no {key}: {body}"))
    };
    Ok((count("verified_requests")?, count("upstream_calls")?))
}
