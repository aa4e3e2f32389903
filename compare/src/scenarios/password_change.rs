//! Password change: the owner changes the password on the laptop while a
//! thief holds the phone's credential; the thief's next request, the
//! owner's new credential, and the old password.

use anyhow::Context;
use contract_client::client::{self as contract, PASSWORD};

use super::{
    Each, Scenario,
    devices::{self, Device, USER_AGENTS},
};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "password-change",
    title: "Password change",
    claim: "Changing the password locks out whoever stole a login; with JWTs a stolen token \
            keeps working.",
    lesson: "The change ends every other login (ASVS 7.4.3) and hands this device a new \
             credential. A stolen session dies at once; a stolen JWT loses its refresh token, \
             but its access token works until `exp` without a denylist's per-user \"not \
             before\".",
    measure: &Each(one),
};

/// Valid by the registration rules, and not the old one.
const NEW_PASSWORD: &str = "a-new-password-for-the-harness";

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "password").await?;
    lab.note(
        config.name,
        "the owner's laptop signs in, and a thief holds the phone's login:",
    );
    let all = devices::sign_in(&http, &server, &email, &USER_AGENTS[..2]).await?;
    let [laptop, thief] = &all[..] else {
        anyhow::bail!("two devices did not sign in");
    };
    lab.note(config.name, "the owner changes the password on the laptop:");
    let changed = http
        .call(
            &server,
            contract::change_password(&laptop.credential, PASSWORD, NEW_PASSWORD)
                .header("User-Agent", laptop.user_agent),
        )
        .send()
        .await?;
    anyhow::ensure!(
        changed.status == 200,
        "PUT /account/password answered {}: {}",
        changed.status,
        changed.body
    );
    let ended = changed.json()["logins_ended"].as_i64();
    let renewed = Device {
        user_agent: laptop.user_agent,
        credential: changed
            .credential()
            .context("the password change gave this device no new credential")?,
    };
    lab.note(config.name, "the thief's next request, and its refresh:");
    let thief_after = devices::protected(&http, &server, thief).await?;
    let thief_refresh = devices::refresh(&http, &server, thief).await?;
    lab.note(
        config.name,
        "the laptop, with the credential the change gave it:",
    );
    let owner_after = devices::protected(&http, &server, &renewed).await?;
    let new_id = renewed.credential.value() != laptop.credential.value();
    lab.note(config.name, "a login with the old password:");
    let old_password = http
        .call(&server, contract::login(&email, PASSWORD))
        .send()
        .await?
        .status;
    let wanted = devices::after_the_end(config);
    let outcome = format!(
        "changed: {} ({} other login ended) · the thief's next request {thief_after}{}{} · this \
         device {owner_after} with a {} credential · old password {old_password}",
        changed.status,
        ended.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        if thief_after == 200 {
            " (until exp)"
        } else {
            ""
        },
        devices::refresh_text(thief_refresh),
        if new_id { "new" } else { "same" },
    );
    let mut cell = Cell::new(
        outcome,
        thief_after,
        ended == Some(1)
            && thief_after == wanted
            && thief_refresh.is_none_or(|s| s == 401)
            && owner_after == 200
            && new_id
            && old_password == 401,
    )
    .status("this_device", owner_after)
    .status("old_password", old_password);
    if let Some(s) = thief_refresh {
        cell = cell.status("refresh", s);
    }
    Ok(cell)
}
