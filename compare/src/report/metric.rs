//! The numbers behind a cell's text, named and with a unit, so that the
//! charts (and scripts reading the JSON) take them as measured instead of
//! parsing the outcome written for people.

use serde::{Serialize, Serializer};

/// One measured quantity. Its [`key`](Metric::key) names it in the JSON's
/// `metrics` and carries its unit, so a key never changes meaning: a new
/// quantity is a new variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `GET /protected` answered per second under the bounded load.
    RequestsPerS,
    /// Median latency of those requests.
    P50Ms,
    /// 99th percentile latency of those requests.
    P99Ms,
    /// Median latency of one login at the run's bcrypt cost.
    LoginMs,
    /// Bytes of the header (`Cookie` or `Authorization`) that carries the
    /// credential on every request.
    CredentialBytes,
    /// Bytes of the login response on the wire, paid once per login.
    LoginResponseBytes,
    /// Bytes the server's store holds per login, as the store reports them.
    ServerBytesPerLogin,
    /// Seconds until a demoted admin is answered as a user: 0 when the very
    /// next request already is, else what the credential had left until its
    /// `exp` (the longest the stale role can last).
    DemotionAppliesWithinS,
    /// Calls a second service makes to the login server per request it
    /// lets through (JWK Set fetches and introspections alike).
    LoginServerCallsPerRequest,
    /// Store writes per authenticated request, as the server counts them
    /// (`/debug/store`'s `writes`): what sliding an idle deadline costs.
    StoreWritesPerRequest,
}

impl Metric {
    pub const ALL: [Metric; 10] = [
        Self::RequestsPerS,
        Self::P50Ms,
        Self::P99Ms,
        Self::LoginMs,
        Self::CredentialBytes,
        Self::LoginResponseBytes,
        Self::ServerBytesPerLogin,
        Self::DemotionAppliesWithinS,
        Self::LoginServerCallsPerRequest,
        Self::StoreWritesPerRequest,
    ];

    /// The JSON key, unit included.
    pub fn key(self) -> &'static str {
        match self {
            Self::RequestsPerS => "requests_per_s",
            Self::P50Ms => "p50_ms",
            Self::P99Ms => "p99_ms",
            Self::LoginMs => "login_ms",
            Self::CredentialBytes => "credential_bytes",
            Self::LoginResponseBytes => "login_response_bytes",
            Self::ServerBytesPerLogin => "server_bytes_per_login",
            Self::DemotionAppliesWithinS => "demotion_applies_within_s",
            Self::LoginServerCallsPerRequest => "login_server_calls_per_request",
            Self::StoreWritesPerRequest => "store_writes_per_request",
        }
    }

    /// `value` for a person, unit included: `50.4k req/s`, `0.81 ms`, `417 B`.
    pub fn show(self, value: f64) -> String {
        match self {
            Self::RequestsPerS if value >= 10_000.0 => format!("{:.1}k req/s", value / 1000.0),
            Self::RequestsPerS => format!("{value:.0} req/s"),
            Self::P50Ms | Self::P99Ms | Self::LoginMs => milliseconds(value),
            Self::CredentialBytes | Self::LoginResponseBytes | Self::ServerBytesPerLogin => {
                format!("{value:.0} B")
            }
            Self::DemotionAppliesWithinS if value == 0.0 => "at the next request".to_owned(),
            Self::DemotionAppliesWithinS if value >= 60.0 => {
                format!("up to {:.0} min (until exp)", value / 60.0)
            }
            Self::DemotionAppliesWithinS => format!("up to {} (until exp)", seconds(value)),
            Self::LoginServerCallsPerRequest => format!("{value:.2} calls/request"),
            Self::StoreWritesPerRequest => format!("{value:.2} writes/request"),
        }
    }

    /// How many of the metric's units one step of a chart's axis counts, so
    /// that the round ticks a chart picks fall on round values: minutes for
    /// a time that runs to minutes, not 500 s.
    pub fn axis_unit(self, largest: f64) -> f64 {
        match self {
            Self::DemotionAppliesWithinS if largest >= 120.0 => 60.0,
            _ => 1.0,
        }
    }

    /// `value` as an axis tick: short, unit included.
    pub fn tick(self, value: f64) -> String {
        match self {
            Self::RequestsPerS if value >= 1000.0 => {
                let k = value / 1000.0;
                if k.fract() == 0.0 {
                    format!("{k:.0}k")
                } else {
                    format!("{k:.1}k")
                }
            }
            Self::RequestsPerS => format!("{value:.0}"),
            Self::P50Ms | Self::P99Ms | Self::LoginMs => {
                // Ticks are round: 0.25, 0.5, 10, without trailing zeros.
                let text = format!("{value:.2}");
                format!("{} ms", text.trim_end_matches('0').trim_end_matches('.'))
            }
            Self::CredentialBytes | Self::LoginResponseBytes | Self::ServerBytesPerLogin => {
                format!("{value:.0} B")
            }
            Self::DemotionAppliesWithinS => seconds(value),
            Self::LoginServerCallsPerRequest | Self::StoreWritesPerRequest => {
                format!("{value:.1}")
            }
        }
    }
}

fn milliseconds(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// `15 min`, `2 min 30 s`, `40 s`.
fn seconds(s: f64) -> String {
    let whole = s.round() as u64;
    match (whole / 60, whole % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// As its key: a map of metrics is a JSON object keyed by these names.
impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

/// From its key, as the JSON's `metrics` name it.
impl<'de> serde::Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        Self::ALL
            .into_iter()
            .find(|m| m.key() == key)
            .ok_or_else(|| serde::de::Error::custom(format!("no metric {key}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_names_its_unit() {
        let keys: std::collections::BTreeSet<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), Metric::ALL.len());
        for key in keys {
            assert!(
                [
                    "_per_s",
                    "_ms",
                    "_bytes",
                    "_per_login",
                    "_per_request",
                    "_s"
                ]
                .iter()
                .any(|unit| key.ends_with(unit)),
                "{key}"
            );
        }
    }

    #[test]
    fn values_read_with_their_unit() {
        assert_eq!(Metric::RequestsPerS.show(50_412.0), "50.4k req/s");
        assert_eq!(Metric::RequestsPerS.show(812.4), "812 req/s");
        assert_eq!(Metric::P99Ms.show(0.814), "0.81 ms");
        assert_eq!(Metric::LoginMs.show(80.2), "80 ms");
        assert_eq!(Metric::CredentialBytes.show(417.0), "417 B");
        assert_eq!(
            Metric::DemotionAppliesWithinS.show(0.0),
            "at the next request"
        );
        assert_eq!(
            Metric::DemotionAppliesWithinS.show(899.6),
            "up to 15 min (until exp)"
        );
        assert_eq!(
            Metric::DemotionAppliesWithinS.show(1.5),
            "up to 2 s (until exp)"
        );
        assert_eq!(Metric::DemotionAppliesWithinS.axis_unit(900.0), 60.0);
        assert_eq!(Metric::DemotionAppliesWithinS.axis_unit(30.0), 1.0);
        assert_eq!(Metric::RequestsPerS.axis_unit(50_000.0), 1.0);
        assert_eq!(Metric::DemotionAppliesWithinS.tick(150.0), "2 min 30 s");
        assert_eq!(Metric::RequestsPerS.tick(20_000.0), "20k");
        assert_eq!(Metric::RequestsPerS.tick(1_500.0), "1.5k");
        assert_eq!(Metric::P99Ms.tick(0.0), "0 ms");
        assert_eq!(Metric::P99Ms.tick(0.25), "0.25 ms");
        assert_eq!(Metric::P99Ms.tick(10.0), "10 ms");
    }
}
