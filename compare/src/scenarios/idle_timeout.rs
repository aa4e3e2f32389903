//! Idle timeout: a credential left unused past the idle timeout. Every
//! configuration signs in first, then all wait out one shared delay, so the
//! scenario costs one timeout, not one per column. Before the wait, what an
//! active credential costs the store: the writes of a run of requests, as
//! the server counts them (`/debug/store`).

use std::time::Duration;

use anyhow::bail;
use tokio::time::Instant;

use super::{
    All, Configs, Measured, Scenario,
    devices::{self, Device, USER_AGENTS},
    failed, server_state,
};
use crate::{
    columns::Configuration,
    lab::{Lab, Server, http::Http},
    report::{Cell, Metric},
};

pub const SCENARIO: Scenario = Scenario {
    id: "idle-timeout",
    title: "Idle timeout",
    claim: "A session times out when the user walks away; a JWT cannot time out on idleness, \
            only at its exp.",
    lesson: "An idle session is refused after the idle timeout (ASVS 7.3.1). An idle JWT's \
             access token still works: only its refresh token obeys the idle timeout, so an \
             idle client is cut off at its next refresh, up to one access-token lifetime later. \
             Sliding the session's deadline is a store write at most once per interval (a \
             quarter of the timeout, a minute at most, a second here), never once per request: \
             the server counts the writes of 20 requests over one timeout. A JWT's check writes \
             nothing: its deadline moves only at a refresh.",
    measure: &All(run),
};

/// Short enough to wait out in a run.
const IDLE: Duration = Duration::from_secs(2);
/// Past the timeout, for clocks that count whole seconds.
const MARGIN: Duration = Duration::from_millis(1200);
/// The authenticated requests whose store writes are counted, spread over
/// one idle timeout: an active user, whose session's deadline must slide
/// (written at most once per second at this timeout), which a request per
/// second or less would not show apart from a write per request.
const REQUESTS: u32 = 20;

struct Live {
    config: &'static Configuration,
    server: Server,
    http: Http,
    device: Device,
    /// The store writes [`REQUESTS`] active requests made.
    writes: u64,
}

async fn run(lab: &Lab, configs: Configs<'_>) -> Measured {
    let mut live = Vec::new();
    for &config in configs {
        lab.step(SCENARIO.id, SCENARIO.title, config);
        live.push(prepare(lab, config).await.map_err(|e| (config, e)));
    }
    if live.iter().any(Result::is_ok) {
        lab.note(
            "all",
            &format!(
                "every credential now stays unused for {:.1} s (idle timeout {} s)",
                (IDLE + MARGIN).as_secs_f64(),
                IDLE.as_secs()
            ),
        );
        tokio::time::sleep_until(Instant::now() + IDLE + MARGIN).await;
    }
    let mut results = Vec::new();
    for l in live {
        let (config, cell) = match l {
            Ok(l) => {
                lab.step(SCENARIO.id, SCENARIO.title, l.config);
                let cell = check(lab, &l)
                    .await
                    .unwrap_or_else(|e| failed(lab, &SCENARIO, l.config, &e));
                (l.config, cell)
            }
            Err((config, e)) => (config, failed(lab, &SCENARIO, config, &e)),
        };
        results.push((config.name.to_owned(), cell));
    }
    Measured::new(results)
}

/// The flag that sets the idle timeout of `config`'s app.
fn idle_flag(config: &Configuration) -> &'static str {
    if config.is_session() {
        "session-idle-timeout"
    } else {
        "refresh-idle-timeout"
    }
}

async fn prepare(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Live> {
    let flag = idle_flag(config);
    if !config.app.has_flag(flag) {
        bail!("{} has no --{flag} flag yet", config.app.name());
    }
    let idle = format!("{}s", IDLE.as_secs());
    let server = lab.start(config, &[&format!("--{flag}"), &idle]).await?;
    let http = lab.http(config)?;
    let email = crate::lab::http::register(&http, &server, "idle").await?;
    let mut signed_in = devices::sign_in(&http, &server, &email, &USER_AGENTS[..1]).await?;
    let device = signed_in.pop().expect("one device signed in");
    let fresh = devices::protected(&http, &server, &device).await?;
    anyhow::ensure!(fresh == 200, "a fresh credential got {fresh}");
    lab.note(
        config.name,
        &format!(
            "{REQUESTS} requests over {} s, the store's writes counted by the server:",
            IDLE.as_secs()
        ),
    );
    let before = server_state::store(&http, &server).await?.writes;
    let mut pace = tokio::time::interval(IDLE / REQUESTS);
    for _ in 0..REQUESTS {
        pace.tick().await;
        let status = devices::protected(&http, &server, &device).await?;
        anyhow::ensure!(status == 200, "an active credential got {status}");
    }
    let writes = server_state::store(&http, &server).await?.writes - before;
    Ok(Live {
        config,
        server,
        http,
        device,
        writes,
    })
}

async fn check(lab: &Lab, l: &Live) -> anyhow::Result<Cell> {
    lab.note(
        l.config.name,
        "the idle credential's next request, and its refresh:",
    );
    let after = devices::protected(&l.http, &l.server, &l.device).await?;
    let refresh = devices::refresh(&l.http, &l.server, &l.device).await?;
    // Idleness never cuts an access token short: it ends at its exp (15 min).
    let wanted = if l.config.is_session() { 401 } else { 200 };
    let mut cell = Cell::new(
        format!(
            "{REQUESTS} requests over {} s → {} store write{} · unused {:.1} s (idle timeout \
             {} s) → {after}{}{}",
            IDLE.as_secs(),
            l.writes,
            if l.writes == 1 { "" } else { "s" },
            (IDLE + MARGIN).as_secs_f64(),
            IDLE.as_secs(),
            if after == 200 { " (until exp)" } else { "" },
            devices::refresh_text(refresh),
        ),
        after,
        after == wanted && refresh.is_none_or(|s| s == 401),
    )
    .with(
        Metric::StoreWritesPerRequest,
        l.writes as f64 / f64::from(REQUESTS),
    );
    if let Some(s) = refresh {
        cell = cell.status("refresh", s);
    }
    Ok(cell)
}
