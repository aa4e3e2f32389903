//! Row 2: The credential on the wire: bytes of the `Cookie` header vs the
//! `Authorization` header on every request, and of the login response.

use super::{All, Configs, Measured, Scenario, each, first, ratio};
use crate::{
    columns::Configuration,
    lab::{Lab, http},
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "credential-size",
    title: "Credential on the wire",
    claim: "A JWT is bigger than a session id, and it travels with every request.",
    lesson: "The login response is paid once per login; the header on every request.",
    measure: &All(run),
};

async fn run(lab: &Lab, configs: Configs<'_>) -> Measured {
    let measured = Measured::new(each(lab, &SCENARIO, configs, async |c| one(lab, c).await).await);
    let session = first(configs, Configuration::is_session).map(|c| c.name);
    let jwt = first(configs, |c| !c.is_session() && !c.in_cookie()).map(|c| c.name);
    let jwt_cookie = first(configs, |c| !c.is_session() && c.in_cookie())
        .and_then(|c| Some((c.name, measured.value(c.name)?)));
    let lesson = match (session, jwt) {
        (Some(s), Some(j)) => match (measured.value(s), measured.value(j)) {
            (Some(sb), Some(jb)) => Some(format!(
                "The bearer header is {} the cookie ({jb:.0} B vs {sb:.0} B): {:.0} B more on \
                     every request, because the token carries its claims and signature each \
                     time.{} {}",
                ratio(jb, sb),
                jb - sb,
                jwt_cookie
                    .map(|(name, cb)| format!(
                        " The same JWT in a cookie ({name}) is {cb:.0} B: where it travels does \
                         not shrink it."
                    ))
                    .unwrap_or_default(),
                SCENARIO.lesson
            )),
            _ => None,
        },
        _ => None,
    };
    match lesson {
        Some(l) => measured.with_lesson(l),
        None => measured,
    }
}

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "size").await?;
    let (credential, login) = http::login(&http, &server, &email).await?;
    let works = http::status(&http, &server, "/protected", &credential).await? == 200;
    let (name, _) = credential.header();
    let per_request = credential.header_bytes();
    Ok(Cell::new(
        format!(
            "{name} header {per_request} B per request · login response {} B",
            login.wire_bytes
        ),
        per_request,
        works,
    )
    .with(Metric::CredentialBytes, per_request as f64)
    .with(Metric::LoginResponseBytes, login.wire_bytes as f64))
}
