//! Sign out everywhere: three devices signed in; the first signs the
//! account out everywhere; the other devices' next requests and refreshes.

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
    id: "sign-out-everywhere",
    title: "Sign out everywhere",
    claim: "With sessions, signing a user out everywhere is one delete; with JWTs it cannot be \
            done before the tokens expire.",
    lesson: "Sessions: every device is out at its next request. JWTs: every refresh family is \
             revoked at once, so no device gets a new token, but the access tokens already out \
             work until `exp`, unless a denylist keeps a per-user \"not before\" and pays a \
             lookup per request.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "everywhere").await?;
    lab.note(config.name, "three devices sign in to one account:");
    let all = devices::sign_in(&http, &server, &email, &USER_AGENTS).await?;
    let [laptop, phone, desk] = &all[..] else {
        anyhow::bail!("three devices did not sign in");
    };
    lab.note(
        config.name,
        "the laptop signs out everywhere (with the password):",
    );
    let out = http
        .call(
            &server,
            contract::logout_everywhere(&laptop.credential, PASSWORD),
        )
        .send()
        .await?
        .status;
    lab.note(config.name, "each device's next request, and its refresh:");
    let phone_after = devices::protected(&http, &server, phone).await?;
    let desk_after = devices::protected(&http, &server, desk).await?;
    let laptop_after = devices::protected(&http, &server, laptop).await?;
    let phone_refresh = devices::refresh(&http, &server, phone).await?;
    let wanted = devices::after_the_end(config);
    let outcome = format!(
        "sign out everywhere: {out} · the other devices {phone_after}, {desk_after}{}{} · this \
         one {laptop_after}",
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
        out == 204
            && [phone_after, desk_after, laptop_after] == [wanted; 3]
            && phone_refresh.is_none_or(|s| s == 401),
    )
    .status("signed_out", out)
    .status("this_device", laptop_after);
    if let Some(s) = phone_refresh {
        cell = cell.status("refresh", s);
    }
    Ok(cell)
}
