//! Row 5: Expiry: with short lifetimes the credential stops working; a refresh
//! token gets a new access token; the old refresh token, replayed, is refused
//! and takes its whole family down.
//!
//! Every configuration is logged in first and all then wait out one shared
//! delay, so the scenario costs one TTL, not one per column.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use tokio::time::Instant;

use super::{All, Configs, Measured, Scenario, failed};
use crate::{
    columns::Configuration,
    jwt_by_hand::decode_jwt,
    lab::{
        Lab, Server,
        http::{self, Credential, Http},
    },
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "expiry-refresh",
    title: "Expiry and refresh",
    claim: "JWTs expire on their own; short-lived access tokens plus refresh tokens fix revocation.",
    lesson: "Both credentials stop working after their lifetime (2 s here). Sessions need no \
             refresh step: the server simply forgets. The JWT needs a refresh token, kept \
             server-side and rotated, and replaying a spent one revokes its whole family: the \
             refresh token is server-side state again.",
    measure: &All(run),
};

/// Lifetimes short enough to wait out, long enough to be used first.
const TTL: Duration = Duration::from_secs(2);
/// Past the lifetime, for clocks that count whole seconds.
const MARGIN: Duration = Duration::from_millis(300);
/// No wait in this scenario may exceed this, whatever a token says.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

struct Live {
    config: &'static Configuration,
    server: Server,
    http: Http,
    credential: Credential,
    expired_at: Instant,
}

async fn run(lab: &Lab, configs: Configs<'_>) -> Measured {
    let mut live = Vec::new();
    for &config in configs {
        lab.step(SCENARIO.id, SCENARIO.title, config);
        live.push(prepare(lab, config).await.map_err(|e| (config, e)));
    }
    let latest = live
        .iter()
        .filter_map(|l| l.as_ref().ok().map(|l| l.expired_at))
        .max();
    if let Some(at) = latest {
        let at = at.min(Instant::now() + LONGEST_WAIT);
        lab.note(
            "all",
            &format!(
                "waiting {:.1} s for every credential to expire",
                at.saturating_duration_since(Instant::now()).as_secs_f64()
            ),
        );
        tokio::time::sleep_until(at).await;
    }
    let mut results = Vec::new();
    for l in live {
        let (config, cell) = match l {
            Ok(l) => {
                lab.step(SCENARIO.id, SCENARIO.title, l.config);
                let config = l.config;
                let cell = check(lab, &l)
                    .await
                    .unwrap_or_else(|e| failed(lab, &SCENARIO, config, &e));
                (config, cell)
            }
            Err((config, e)) => (config, failed(lab, &SCENARIO, config, &e)),
        };
        results.push((config.name.to_owned(), cell));
    }
    Measured::new(results)
}

async fn prepare(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Live> {
    let ttl = format!("{}s", TTL.as_secs());
    let extra: Vec<&str> = if config.is_session() {
        vec!["--session-ttl", &ttl]
    } else {
        vec!["--access-ttl", &ttl, "--jwt-leeway", "0"]
    };
    let server = lab.start(config, &extra).await?;
    let http = lab.http(config)?;
    let (_, credential) = http::new_user(&http, &server, "expiry").await?;
    let fresh = http::status(&http, &server, "/protected", &credential).await?;
    ensure!(fresh == 200, "a fresh credential got {fresh}");
    let expired_at = match credential.jwt() {
        // The session's clock starts at its last save; the request above only read it.
        None => Instant::now() + TTL + MARGIN,
        // jsonwebtoken refuses a token once the whole-second clock is past `exp`.
        Some(access) => {
            let exp = decode_jwt(access)
                .and_then(|(_, claims)| claims["exp"].as_i64())
                .context("the access token has no readable exp")?;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            let wait = ((exp + 1) as f64 - now).clamp(0.0, LONGEST_WAIT.as_secs_f64());
            Instant::now() + Duration::from_secs_f64(wait) + MARGIN
        }
    };
    Ok(Live {
        config,
        server,
        http,
        credential,
        expired_at,
    })
}

async fn check(lab: &Lab, l: &Live) -> anyhow::Result<Cell> {
    let (http, server, name) = (&l.http, &l.server, l.config.name);
    lab.note(name, "the same credential, after its lifetime:");
    let expired = http::status(http, server, "/protected", &l.credential).await?;
    if l.credential.refresh_token().is_none() {
        return Ok(Cell::new(
            format!(
                "{expired} once its {} s TTL is over · refresh: n/a, a new login makes a new session",
                TTL.as_secs()
            ),
            expired,
            expired == 401,
        ));
    }
    lab.note(name, "refresh with the refresh token:");
    let (refreshed, new) = http::refresh(http, server, &l.credential).await?;
    let new_works = match &new {
        Some(c) => http::status(http, server, "/protected", c).await? == 200,
        None => false,
    };
    lab.note(name, "replay the refresh token just spent:");
    let (replayed, _) = http::refresh(http, server, &l.credential).await?;
    let family_dead = match new.filter(|c| c.refresh_token().is_some()) {
        Some(newest) => {
            lab.note(name, "and the newest refresh token of that family:");
            http::refresh(http, server, &newest).await?.0.status == 401
        }
        None => false,
    };
    Ok(Cell::new(
        format!(
            "{expired} after exp · refresh {}{} · spent refresh replayed {}, family {}",
            refreshed.status,
            if new_works { " (new token 200)" } else { "" },
            replayed.status,
            if family_dead {
                "revoked"
            } else {
                "still alive"
            }
        ),
        expired,
        expired == 401
            && refreshed.status == 200
            && new_works
            && replayed.status == 401
            && family_dead,
    )
    .status("refresh", refreshed.status)
    .status("spent_refresh_replayed", replayed.status))
}
