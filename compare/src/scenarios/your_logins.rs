//! Your logins: three devices signed in to one account; the first lists the
//! account's logins and ends the second's; the second's next request, and
//! the third's, tell what "ended" means.

use anyhow::{Context, ensure};
use contract_client::client::{self as contract, PASSWORD};

use super::{
    Each, Scenario,
    devices::{self, USER_AGENTS},
};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "your-logins",
    title: "Your logins: list them, end one",
    claim: "A server can list a user's sessions and end one of them; a JWT login cannot be seen \
            or ended from the server.",
    lesson: "Both list the account's logins, each with its device: a session is a record, and so \
             is the refresh family behind a JWT. Ending one kills the session at once; the \
             ended JWT login's refresh token dies, but its access token, checked by signature \
             alone, still works until `exp`, unless a denylist refuses its login.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "logins").await?;
    lab.note(config.name, "three devices sign in to one account:");
    let all = devices::sign_in(&http, &server, &email, &USER_AGENTS).await?;
    let [laptop, phone, desk] = &all[..] else {
        anyhow::bail!("three devices did not sign in");
    };
    lab.note(config.name, "the laptop lists the account's logins:");
    let (listed, logins) = devices::logins(&http, &server, laptop).await?;
    ensure!(
        listed.status == 200,
        "GET /account/logins answered {}: {}",
        listed.status,
        listed.body
    );
    let seen = all
        .iter()
        .filter(|d| logins.iter().any(|l| l.user_agent == d.user_agent))
        .count();
    let current_is_laptop = logins
        .iter()
        .filter(|l| l.current)
        .map(|l| l.user_agent.as_str())
        .eq([laptop.user_agent]);
    let phone_login = logins
        .iter()
        .find(|l| l.user_agent == phone.user_agent)
        .context("the phone's login is not in the list")?;
    let opaque = all.iter().all(|d| {
        !d.credential.value().contains(&phone_login.id)
            && d.credential
                .refresh_token()
                .is_none_or(|r| !r.contains(&phone_login.id))
    });
    lab.note(
        config.name,
        "the laptop ends the phone's login (with the password):",
    );
    let ended = http
        .call(
            &server,
            contract::end_login(&laptop.credential, &phone_login.id, PASSWORD),
        )
        .send()
        .await?
        .status;
    lab.note(config.name, "the phone's next request, and its refresh:");
    let phone_after = devices::protected(&http, &server, phone).await?;
    let phone_refresh = devices::refresh(&http, &server, phone).await?;
    lab.note(config.name, "the desktop's next request:");
    let desk_after = devices::protected(&http, &server, desk).await?;
    let wanted = devices::after_the_end(config);
    let outcome = format!(
        "{} logins listed ({seen} of 3 devices named) · ended one: {ended} · its next request \
         {phone_after}{}{} · the others {desk_after}",
        logins.len(),
        if phone_after == 200 {
            " (until exp)"
        } else {
            ""
        },
        devices::refresh_text(phone_refresh),
    );
    let mut cell = Cell::new(
        outcome,
        phone_after,
        logins.len() == 3
            && seen == 3
            && current_is_laptop
            && opaque
            && ended == 204
            && phone_after == wanted
            && phone_refresh.is_none_or(|s| s == 401)
            && desk_after == 200,
    )
    .status("listed", listed.status)
    .status("ended", ended)
    .status("others", desk_after);
    if let Some(s) = phone_refresh {
        cell = cell.status("refresh", s);
    }
    Ok(cell)
}
