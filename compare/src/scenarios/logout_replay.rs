//! Row 4: Log out, then replay the old credential: refused, or still accepted
//! (the logout loophole of stateless tokens).

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "logout-replay",
    title: "Logout, then replay",
    claim: "A JWT cannot be revoked: after logout it stays valid until it expires.",
    lesson: "True as stated: a stateless JWT still answers 200 after logout until `exp` \
             (15 min here), while a session dies at once. A denylist closes the loophole, in \
             memory or in Redis alike, at the price of state and a lookup per request; logout \
             does revoke the refresh token either way.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let (_, credential) = http::new_user(&http, &server, "logout").await?;
    let before = http::status(&http, &server, "/protected", &credential).await?;
    let logout = http::logout(&http, &server, &credential).await?;
    lab.note(
        config.name,
        "replaying the credential held before the logout:",
    );
    let replay = http::status(&http, &server, "/protected", &credential).await?;
    let refresh_dead = match credential.refresh_token() {
        Some(_) => {
            lab.note(config.name, "and the refresh token held before the logout:");
            http::refresh(&http, &server, &credential).await?.0.status == 401
        }
        None => true,
    };
    let wanted = if config.logout_revokes() { 401 } else { 200 };
    let mut outcome = if replay == 200 {
        "200: still works after logout (until exp)".to_owned()
    } else {
        format!("{replay}: refused after logout")
    };
    if credential.refresh_token().is_some() {
        outcome.push_str(if refresh_dead {
            " · refresh token 401"
        } else {
            " · refresh token still works"
        });
    }
    Ok(Cell::new(
        outcome,
        replay,
        before == 200 && logout == 204 && replay == wanted && refresh_dead,
    ))
}
