//! Row 3: Server-side state per logged-in user: what the store holds after N
//! logins, asked of the store itself (`GET /debug/store`, `--store-stats`),
//! not computed.

use anyhow::{Context, bail};

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    lab::{Lab, Server, http},
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "server-state",
    title: "Server state per login",
    claim: "Sessions must be stored on the server; JWTs are stateless and store nothing.",
    lesson: "Sessions keep a record per login. The \"stateless\" JWT still keeps one per login \
             too (its refresh token), and a denylist adds one per logout: stateless verification \
             is not a stateless system. In the Redis columns these records are Redis keys \
             (counted with SCAN), each with a TTL, so Redis forgets them when they expire.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    if !config.app.has_flag("store-stats") {
        bail!(
            "{} has no --store-stats flag yet, so GET /debug/store cannot be asked",
            config.app.name()
        );
    }
    let logins = if lab.quick { 5 } else { 20 };
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let email = http::register(&http, &server, "state").await?;
    let before = store(&http, &server).await?;
    lab.note(
        config.name,
        &format!("{logins} logins of one account (as from {logins} devices):"),
    );
    let mut credentials = Vec::new();
    for _ in 0..logins {
        credentials.push(http::login(&http, &server, &email).await?.0);
    }
    let after = store(&http, &server).await?;
    let Some(credential) = credentials.first() else {
        bail!("no login was made");
    };
    lab.note(config.name, "one logout:");
    http::logout(&http, &server, credential).await?;
    let after_logout = store(&http, &server).await?;

    let entries = after.entries - before.entries;
    let bytes = after.bytes - before.bytes;
    let per_login = (bytes as f64 / f64::from(logins)).round();
    let unit = if config.needs_redis() {
        "Redis keys"
    } else {
        "entries"
    };
    Ok(Cell::new(
        format!(
            "{logins} logins → {entries} {unit}, {bytes} B ({per_login:.0} B each) · 1 logout → {}{}",
            after_logout.entries - before.entries,
            after_logout.parts_text(&before)
        ),
        per_login as i64,
        entries >= i64::from(logins),
    )
    .with(Metric::ServerBytesPerLogin, bytes as f64 / f64::from(logins)))
}

pub(super) struct StoreStats {
    entries: i64,
    bytes: i64,
    /// The store writes the server's requests made since it started.
    pub(super) writes: u64,
    /// Entries per named store, when the app has more than one (jwt-app:
    /// refresh tokens and the denylist).
    parts: Vec<(String, i64)>,
}

impl StoreStats {
    /// ` (refresh_tokens 4, denylist 1)`: the entries of each part since `before`.
    fn parts_text(&self, before: &StoreStats) -> String {
        if self.parts.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(name, n)| {
                let was = before
                    .parts
                    .iter()
                    .find(|(b, _)| b == name)
                    .map_or(0, |(_, n)| *n);
                format!("{name} {}", n - was)
            })
            .collect();
        format!(" ({})", parts.join(", "))
    }
}

/// `GET /debug/store` (the server runs with `--store-stats`).
pub(super) async fn store(http: &http::Http, server: &Server) -> anyhow::Result<StoreStats> {
    let ex = http.get(server, "/debug/store").send().await?;
    if ex.status != 200 {
        bail!("GET /debug/store answered {}: {}", ex.status, ex.body);
    }
    let json = ex.json();
    let number = |key: &str| {
        json[key]
            .as_i64()
            .with_context(|| format!("GET /debug/store: no number `{key}` in {}", ex.body))
    };
    let parts = json["parts"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, p)| (name.clone(), p["entries"].as_i64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(StoreStats {
        entries: number("entries")?,
        bytes: number("bytes")?,
        writes: number("writes")?.try_into()?,
        parts,
    })
}
