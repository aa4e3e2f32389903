//! Row 7: Restart: stop the server process, start a new one on the same data
//! folder (and the same part of Redis), replay the credential, and a token
//! revoked before the restart.

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "restart",
    title: "Server restart",
    claim: "Sessions are lost on restart unless stored outside the process; JWTs survive it.",
    lesson: "An in-memory session store loses every login with the process; the same store \
             in the database or in Redis keeps them. A JWT survives because its key does (a key \
             file in the data folder). But an in-memory denylist forgets too: a token revoked \
             before the restart is accepted again after it. A denylist in Redis remembers: the \
             revoked token stays 401, because the state that revokes it lives outside the \
             process.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let home = lab.home(config).await?;
    let server = lab.start_in(config, &home, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "restart").await?;
    let (credential, _) = http::login(&http, &server, &email).await?;
    let before = http::status(&http, &server, "/protected", &credential).await?;

    // With a denylist, a second login is logged out before the restart: is
    // it still refused after?
    let revoked = if config.logout_revokes() && !config.is_session() {
        let (token, _) = http::login(&http, &server, &email).await?;
        http::logout(&http, &server, &token).await?;
        let denied = http::status(&http, &server, "/protected", &token).await?;
        Some((token, denied))
    } else {
        None
    };

    lab.stop(server).await?;
    let server = lab.start_in(config, &home, &[]).await?;
    lab.note(config.name, "the credential from before the restart:");
    let after = http::status(&http, &server, "/protected", &credential).await?;

    if let Some((token, denied)) = revoked {
        lab.note(config.name, "the token logged out before the restart:");
        let revived = http::status(&http, &server, "/protected", &token).await?;
        let wanted = if config.store.survives_restart() {
            401
        } else {
            200
        };
        return Ok(Cell::new(
            format!(
                "valid token {after} · revoked token {denied} before, {revived} after{}",
                match revived {
                    200 => ": the denylist forgot".to_owned(),
                    401 => format!(": {} remembered", config.store.place()),
                    _ => String::new(),
                }
            ),
            revived,
            before == 200 && after == 200 && denied == 401 && revived == wanted,
        )
        .status("after_restart", after)
        .status("revoked_before_restart", denied)
        .status("revoked_after_restart", revived));
    }

    let wanted = if config.is_session() && !config.store.survives_restart() {
        401
    } else {
        200
    };
    let why = match (config.is_session(), after) {
        (true, 200) => format!("the sessions are in {}", config.store.place()),
        (true, _) => "the sessions died with the process".to_owned(),
        (false, 200) => "the key file outlives the process".to_owned(),
        (false, _) => "the key changed".to_owned(),
    };
    Ok(Cell::new(
        format!("{after} after restart: {why}"),
        after,
        before == 200 && after == wanted,
    )
    .status("after_restart", after))
}
