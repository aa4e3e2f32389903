//! Row 8: Two instances behind one address: log in on A, use the credential on B,
//! as a round-robin balancer without sticky sessions would send it.

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "two-instances",
    title: "Two instances, no sticky sessions",
    claim: "JWTs scale horizontally; sessions need sticky sessions or a shared store.",
    lesson: "A session works on B only when the store is shared: in memory it is 401 on B; \
             the database or Redis shares it (200). The JWT works on any instance with the key. \
             But an in-memory denylist is per instance: logged out on A, the token still works \
             on B; a denylist in Redis is seen by B at once (401). Revocation needs shared \
             state, which is what the claim avoided.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    // One home for both: the same SQLite file, for jwt-app the same key
    // file, and for a Redis column the same part of Redis. A starts first,
    // so that only it creates the key.
    let home = lab.home(config).await?;
    let a = lab.start_in(config, &home, &[]).await?;
    let b = lab.start_in(config, &home, &[]).await?;
    let http = lab.http(config)?;
    let (_, credential) = http::new_user(&http, &a, "twins").await?;
    let on_a = http::status(&http, &a, "/protected", &credential).await?;
    lab.note(config.name, "the same credential, sent to instance B:");
    let on_b = http::status(&http, &b, "/protected", &credential).await?;

    if config.logout_revokes() && !config.is_session() {
        lab.note(config.name, "logout on A, then replay on A and on B:");
        let logout = http::logout(&http, &a, &credential).await?;
        let replay_a = http::status(&http, &a, "/protected", &credential).await?;
        let replay_b = http::status(&http, &b, "/protected", &credential).await?;
        let wanted = if config.store.shared_between_instances() {
            401
        } else {
            200
        };
        return Ok(Cell::new(
            format!(
                "works on B ({on_b}) · after logout on A: A {replay_a}, B {replay_b}{}",
                match replay_b {
                    200 => ": B never heard of it".to_owned(),
                    401 => format!(": B asked {}", config.store.place()),
                    _ => String::new(),
                }
            ),
            replay_b,
            on_a == 200 && on_b == 200 && logout == 204 && replay_a == 401 && replay_b == wanted,
        )
        .status("on_b", on_b)
        .status("after_logout_on_a_on_b", replay_b));
    }

    let wanted = if config.is_session() && !config.store.shared_between_instances() {
        401
    } else {
        200
    };
    let why = match (config.is_session(), on_b) {
        (true, 200) if config.needs_redis() => "Redis is shared",
        (true, 200) => "the store is shared",
        (true, _) => "B has no such session",
        (false, 200) => "B has the same key",
        (false, _) => "B has another key",
    };
    Ok(Cell::new(
        format!("{on_b} on B: {why}"),
        on_b,
        on_a == 200 && on_b == wanted,
    )
    .status("on_b", on_b))
}
