//! The rows of the table. Each scenario is one module: what the articles
//! claim, and a function that measures it on every configuration (the shape
//! of tower-sessions' tests/common: one suite, run against every store).

mod client_readable;
mod credential_size;
mod cross_site;
mod cross_site_spa;
mod decentralized;
mod devices;
mod expiry_refresh;
mod idle_timeout;
mod login;
mod logout_replay;
mod password_change;
mod restart;
mod role_change;
mod server_state;
mod sign_out_everywhere;
mod tampering;
mod throughput;
mod two_instances;
mod your_logins;

use async_trait::async_trait;

use crate::{columns::Configuration, lab::Lab, report::Cell};

/// Every configuration a scenario runs on.
pub type Configs<'a> = &'a [&'static Configuration];

/// One row of the table.
pub struct Scenario {
    /// Stable id, used by `--scenario` and in the JSON.
    pub id: &'static str,
    pub title: &'static str,
    /// What the articles say.
    pub claim: &'static str,
    /// What the measurement teaches, when the scenario has no sharper,
    /// number-bearing one of its own.
    pub lesson: &'static str,
    /// How it is measured: [`Each`] or [`All`].
    pub measure: &'static dyn Measure,
}

/// A scenario's measurement over the chosen configurations.
#[async_trait(?Send)]
pub trait Measure: Sync {
    async fn run(&self, lab: &Lab, scenario: &Scenario, configs: Configs<'_>) -> Measured;
}

/// The same measurement on each configuration in turn, with the lesson as
/// written: `one` measures one configuration.
pub struct Each<F>(pub F);

#[async_trait(?Send)]
impl<F> Measure for Each<F>
where
    F: Sync + for<'a> AsyncFn(&'a Lab, &'static Configuration) -> anyhow::Result<Cell>,
{
    async fn run(&self, lab: &Lab, scenario: &Scenario, configs: Configs<'_>) -> Measured {
        Measured::new(each(lab, scenario, configs, async |c| (self.0)(lab, c).await).await)
    }
}

/// A measurement that needs every configuration at once: columns that take
/// turns, or a lesson drawn from their numbers.
pub struct All<F>(pub F);

#[async_trait(?Send)]
impl<F> Measure for All<F>
where
    F: Sync + for<'a> AsyncFn(&'a Lab, Configs<'a>) -> Measured,
{
    async fn run(&self, lab: &Lab, _: &Scenario, configs: Configs<'_>) -> Measured {
        (self.0)(lab, configs).await
    }
}

/// A scenario's cells, in configuration order, and its lesson if measured.
pub struct Measured {
    pub results: Vec<(String, Cell)>,
    pub lesson: Option<String>,
}

impl Measured {
    pub fn new(results: Vec<(String, Cell)>) -> Self {
        Self {
            results,
            lesson: None,
        }
    }

    pub fn with_lesson(mut self, lesson: String) -> Self {
        self.lesson = Some(lesson);
        self
    }

    /// Takes `config`'s cell out.
    pub fn take(&mut self, config: &str) -> Option<Cell> {
        let i = self.results.iter().position(|(c, _)| c == config)?;
        Some(self.results.remove(i).1)
    }

    /// The numeric value of `config`'s cell, if it has one.
    pub fn value(&self, config: &str) -> Option<f64> {
        self.results
            .iter()
            .find(|(c, _)| c == config)
            .and_then(|(_, cell)| cell.value.as_f64())
    }
}

/// In table order.
pub const SCENARIOS: &[Scenario] = &[
    login::SCENARIO,
    credential_size::SCENARIO,
    server_state::SCENARIO,
    logout_replay::SCENARIO,
    expiry_refresh::SCENARIO,
    tampering::SCENARIO,
    restart::SCENARIO,
    two_instances::SCENARIO,
    role_change::SCENARIO,
    your_logins::SCENARIO,
    sign_out_everywhere::SCENARIO,
    password_change::SCENARIO,
    idle_timeout::SCENARIO,
    cross_site::SCENARIO,
    cross_site_spa::SCENARIO,
    client_readable::SCENARIO,
    throughput::SCENARIO,
    decentralized::SCENARIO,
];

/// Runs `one` on each configuration in turn. A configuration that fails
/// (a server that does not start, a request that times out) becomes an error
/// cell, and the other columns are still measured.
pub async fn each(
    lab: &Lab,
    scenario: &Scenario,
    configs: Configs<'_>,
    one: impl AsyncFn(&'static Configuration) -> anyhow::Result<Cell>,
) -> Vec<(String, Cell)> {
    let mut results = Vec::new();
    for &config in configs {
        lab.step(scenario.id, scenario.title, config);
        let cell = one(config)
            .await
            .unwrap_or_else(|e| failed(lab, scenario, config, &e));
        results.push((config.name.to_owned(), cell));
    }
    results
}

/// The error cell for a configuration that could not be measured; the full
/// error (with the server's stderr) goes to stderr.
pub fn failed(lab: &Lab, scenario: &Scenario, config: &Configuration, e: &anyhow::Error) -> Cell {
    lab.warn(&format!("{} · {}: {e:#}", scenario.id, config.name));
    Cell::error(e)
}

/// `a` as a multiple of `b`, for lessons: "0.93×".
pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        return "n/a".to_owned();
    }
    let r = a / b;
    if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// The first configuration of `configs` for which `pick` holds.
pub fn first(
    configs: Configs<'_>,
    pick: impl Fn(&Configuration) -> bool,
) -> Option<&'static Configuration> {
    configs.iter().copied().find(|c| pick(c))
}

#[cfg(test)]
mod tests {
    use super::SCENARIOS;
    use crate::report::charts;

    #[test]
    fn every_chart_draws_from_a_scenario_of_the_table_with_a_unique_id() {
        for chart in charts::CHARTS {
            assert!(
                SCENARIOS.iter().any(|s| s.id == chart.scenario),
                "{}: no scenario {}",
                chart.id,
                chart.scenario
            );
            assert_eq!(
                charts::CHARTS.iter().filter(|c| c.id == chart.id).count(),
                1
            );
        }
        assert_eq!(charts::of_scenario("throughput").count(), 2);
        assert_eq!(charts::of_scenario("login").count(), 0);
    }
}
