//! Row 9: Role change: an admin demotes another admin; how long until /admin
//! answers the demoted user differently.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::ensure;
use serde_json::json;

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    jwt_by_hand::decode_jwt,
    lab::{
        Lab, Server,
        http::{self, Credential, Http},
    },
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "role-change",
    title: "Role change",
    claim: "A JWT carries the user's role, so no database lookup is needed to authorize.",
    lesson: "The session reads the role from the database on each request: a demotion applies \
             at the next one. The JWT carries a copy of the role that stays true until the \
             token expires: without a denylist a demoted admin keeps admin access for up to \
             the access TTL (15 min by default); the demotion revokes its refresh tokens, so it \
             cannot renew, and a new login carries the new role. With a denylist the demotion \
             denies its logins at once: the lookup the claim was meant to save.",
    measure: &Each(one),
};

const BOSS: &str = "boss@example.com";

pub(super) async fn set_role(
    http: &Http,
    server: &Server,
    boss: &Credential,
    email: &str,
    role: &str,
) -> anyhow::Result<()> {
    let ex = http
        .put(server, &format!("/admin/users/{email}/role"))
        .auth(boss)
        .json(json!({"role": role}))
        .send()
        .await?;
    ensure!(
        ex.status == 200,
        "setting the role answered {}: {}",
        ex.status,
        ex.body
    );
    Ok(())
}

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let (cell, within) = measure(lab, config).await?;
    Ok(match within {
        Some(seconds) => cell.with(Metric::DemotionAppliesWithinS, seconds),
        None => cell,
    })
}

/// The cell, and how many seconds the demotion took to apply, at most.
async fn measure(lab: &Lab, config: &'static Configuration) -> anyhow::Result<(Cell, Option<f64>)> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    http::register_as(&http, &server, BOSS).await?;
    // Registration never grants admin: the operator does, with the
    // server's own binary and settings, while it runs.
    lab.operator(config, &server, &["set-role", BOSS, "admin"])
        .await?;
    let (boss, _) = http::login(&http, &server, BOSS).await?;
    let email = http::register(&http, &server, "deputy").await?;
    lab.note(
        config.name,
        "the boss makes the deputy an admin; the deputy logs in:",
    );
    set_role(&http, &server, &boss, &email, "admin").await?;
    let (deputy, _) = http::login(&http, &server, &email).await?;
    let as_admin = http::status(&http, &server, "/admin", &deputy).await?;
    ensure!(as_admin == 200, "the new admin got {as_admin} on /admin");

    lab.note(
        config.name,
        "the boss demotes the deputy; the deputy's credential, unchanged:",
    );
    set_role(&http, &server, &boss, &email, "user").await?;
    let stale = http::status(&http, &server, "/admin", &deputy).await?;
    let within = applies_within(stale, &deputy);

    if deputy.refresh_token().is_none() {
        return Ok((
            Cell::new(
                format!("{stale} at the very next request"),
                stale,
                stale == 403,
            ),
            within,
        ));
    }
    lab.note(
        config.name,
        "the deputy's refresh token, then a new login of the deputy:",
    );
    let refreshed = http::refresh(&http, &server, &deputy).await?.0.status;
    let (relogin, _) = http::login(&http, &server, &email).await?;
    let after_login = http::status(&http, &server, "/admin", &relogin).await?;
    let renewed = refreshed == 401 && after_login == 403;
    let cell = if config.logout_revokes() {
        Cell::new(
            format!(
                "{stale} at the very next request (its login is denied) · refresh {refreshed} · new login {after_login}"
            ),
            stale,
            stale == 401 && renewed,
        )
    } else {
        Cell::new(
            format!(
                "still {stale} until exp (≤ access TTL) · refresh {refreshed} · new login {after_login}"
            ),
            stale,
            stale == 200 && renewed,
        )
    };
    Ok((cell, within))
}

/// 0 when the very next request already refuses the admin (403, or 401 for
/// a denied login); when it still lets it in, the seconds its token has left
/// until `exp`, the longest the stale role can last. `None` otherwise.
fn applies_within(stale: u16, credential: &Credential) -> Option<f64> {
    match stale {
        401 | 403 => Some(0.0),
        200 => {
            let (_, claims) = decode_jwt(credential.jwt()?)?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
            Some((claims["exp"].as_f64()? - now.as_secs_f64()).max(0.0))
        }
        _ => None,
    }
}
