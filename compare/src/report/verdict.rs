//! The verdict on each article's claim, drawn from the measured cells by a
//! rule per scenario ([`RULES`]), and what each cell means for the user (its
//! [`Tone`]: a credential refused as it should be, one that still works where
//! the claim's catch is, one lost). The contract check (is each cell what the
//! servers promise?) is another thing: a cell can be exactly as the contract
//! says and still be the claim's catch (`jwt`'s 200 after logout).
//!
//! A rule reads only the cells (`value`, `statuses`, `metrics`) and each
//! column's properties (app, store, carrier, from [`crate::columns`]), never
//! the outcome's text, and says why in one sentence that names the columns
//! and the values that decide. That sentence holds no timing, so that the
//! README's table of verdicts ([`Report::claims_markdown`]) is the same for
//! every run whose statuses are; speeds go in `numbers`.

mod lifecycle;

use std::fmt::Write as _;

use serde::{Serialize, Serializer, ser::SerializeMap};

use super::{Cell, Metric, Report, ScenarioReport};
use crate::columns::{App, Carrier, Configuration, Store};

/// What the measurement says of the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    FalseInPractice,
    HalfTrue,
    HoldsWithACatch,
    /// The cells the rule needs were skipped, failed or not run.
    #[default]
    NotMeasured,
}

impl Verdict {
    /// The verdict in words, as the tables print it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::FalseInPractice => "false in practice",
            Self::HalfTrue => "half true",
            Self::HoldsWithACatch => "holds, with a catch",
            Self::NotMeasured => "not measured",
        }
    }

    /// Its CSS class (and JSON name, with dashes).
    pub fn class(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::FalseInPractice => "false-in-practice",
            Self::HalfTrue => "half-true",
            Self::HoldsWithACatch => "holds-with-a-catch",
            Self::NotMeasured => "not-measured",
        }
    }
}

/// What a cell's outcome means for the user, whatever the contract says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// As a user wants it: a login that works, a dead credential refused.
    Good,
    /// The claim's catch: a credential that still works after a logout, a
    /// demotion, on another instance, after a restart; a token anyone reads.
    Catch,
    /// Against the user: logged out by a restart, a forgery let in.
    Bad,
    /// A number, neither good nor bad for the user (bytes, speed).
    Info,
    /// Skipped, failed, or not run: nothing to say.
    #[default]
    Unmeasured,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Catch => "catch",
            Self::Bad => "bad",
            Self::Info => "info",
            Self::Unmeasured => "unmeasured",
        }
    }
}

/// One cell's meaning: its tone, in a few words, and the value that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Meaning {
    pub tone: Tone,
    /// `still works`, `refused`, `logged out`: what the tone is about.
    pub label: String,
    /// The measured status or value, short: `200`, `417 B`, `0 calls`.
    pub shown: String,
}

impl Meaning {
    fn new(tone: Tone, label: &str, shown: impl Into<String>) -> Self {
        Self {
            tone,
            label: label.to_owned(),
            shown: shown.into(),
        }
    }
}

/// The verdict on one scenario's claim.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ClaimVerdict {
    pub verdict: Verdict,
    /// [`Verdict::words`], for scripts reading the JSON.
    pub words: &'static str,
    /// One sentence: the columns and the values that decide, no timing.
    pub why: String,
    /// The speeds or sizes behind the verdict that vary from run to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numbers: Option<String>,
    /// Each column's meaning, in column order.
    #[serde(serialize_with = "meanings_map")]
    pub cells: Vec<(String, Meaning)>,
}

impl ClaimVerdict {
    /// The meaning of `column`'s cell.
    pub fn meaning(&self, column: &str) -> Option<&Meaning> {
        self.cells.iter().find(|(c, _)| c == column).map(|(_, m)| m)
    }
}

fn meanings_map<S: Serializer>(cells: &[(String, Meaning)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(cells.len()))?;
    for (k, v) in cells {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// A measured cell of a known column, as a rule sees it.
#[derive(Clone, Copy)]
pub struct Col<'a> {
    pub name: &'a str,
    pub config: &'static Configuration,
    pub cell: &'a Cell,
}

impl Col<'_> {
    fn status(&self) -> Option<u16> {
        self.cell.http_status()
    }

    fn asked(&self, what: &str) -> Option<u16> {
        self.cell.status_of(what)
    }

    fn number(&self) -> Option<f64> {
        self.cell.value.as_f64()
    }

    fn metric(&self, m: Metric) -> Option<f64> {
        self.cell.metric(m)
    }

    fn is_session(&self) -> bool {
        self.config.app == App::Session
    }

    fn is_jwt(&self) -> bool {
        self.config.app == App::Jwt
    }

    /// A JWT checked by its signature alone (no denylist).
    fn stateless_jwt(&self) -> bool {
        self.is_jwt() && self.config.store == Store::None
    }

    fn denylisted(&self) -> bool {
        self.is_jwt() && self.config.store != Store::None
    }

    fn in_header(&self) -> bool {
        self.config.carrier == Carrier::Header
    }
}

/// What a rule finds: the verdict, why, and the numbers that vary.
pub struct Judgement {
    pub verdict: Verdict,
    pub why: String,
    pub numbers: Option<String>,
}

fn judged(verdict: Verdict, why: String) -> Judgement {
    Judgement {
        verdict,
        why,
        numbers: None,
    }
}

/// One scenario's rule: the verdict from its measured cells, and what each
/// measured cell means.
pub struct Rule {
    pub scenario: &'static str,
    pub judge: fn(&[Col]) -> Judgement,
    pub meaning: fn(&Col) -> Meaning,
}

/// A rule per scenario of [`crate::scenarios::SCENARIOS`], keyed by its id.
pub const RULES: &[Rule] = &[
    Rule {
        scenario: "login",
        judge: login,
        meaning: login_meaning,
    },
    Rule {
        scenario: "credential-size",
        judge: credential_size,
        meaning: credential_size_meaning,
    },
    Rule {
        scenario: "server-state",
        judge: server_state,
        meaning: server_state_meaning,
    },
    Rule {
        scenario: "logout-replay",
        judge: logout_replay,
        meaning: logout_replay_meaning,
    },
    Rule {
        scenario: "expiry-refresh",
        judge: expiry_refresh,
        meaning: expiry_refresh_meaning,
    },
    Rule {
        scenario: "tampering",
        judge: tampering,
        meaning: tampering_meaning,
    },
    Rule {
        scenario: "restart",
        judge: restart,
        meaning: restart_meaning,
    },
    Rule {
        scenario: "two-instances",
        judge: two_instances,
        meaning: two_instances_meaning,
    },
    Rule {
        scenario: "role-change",
        judge: role_change,
        meaning: role_change_meaning,
    },
    Rule {
        scenario: "your-logins",
        judge: lifecycle::your_logins,
        meaning: lifecycle::your_logins_meaning,
    },
    Rule {
        scenario: "sign-out-everywhere",
        judge: lifecycle::sign_out_everywhere,
        meaning: lifecycle::sign_out_everywhere_meaning,
    },
    Rule {
        scenario: "password-change",
        judge: lifecycle::password_change,
        meaning: lifecycle::password_change_meaning,
    },
    Rule {
        scenario: "idle-timeout",
        judge: lifecycle::idle_timeout,
        meaning: lifecycle::idle_timeout_meaning,
    },
    Rule {
        scenario: "cross-site",
        judge: cross_site,
        meaning: cross_site_meaning,
    },
    Rule {
        scenario: "cross-site-spa",
        judge: cross_site_spa,
        meaning: cross_site_spa_meaning,
    },
    Rule {
        scenario: "client-readable",
        judge: client_readable,
        meaning: client_readable_meaning,
    },
    Rule {
        scenario: "throughput",
        judge: throughput,
        meaning: throughput_meaning,
    },
    Rule {
        scenario: "decentralized",
        judge: decentralized,
        meaning: decentralized_meaning,
    },
];

pub fn rule(scenario: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.scenario == scenario)
}

/// The verdict on `s`'s claim and the meaning of each of its cells.
pub fn judge(report: &Report, s: &ScenarioReport) -> ClaimVerdict {
    let mut cols = Vec::new();
    let mut cells = Vec::new();
    let rule = rule(&s.id);
    for (name, cell) in report.cells(s) {
        let config = Configuration::named(name);
        let meaning = match (cell, config, rule) {
            (None, _, _) => Meaning::new(Tone::Unmeasured, "not run", "—"),
            (Some(c), _, _) if c.skipped => Meaning::new(Tone::Unmeasured, "not measured", "—"),
            (Some(c), _, _) if c.value.is_null() => Meaning::new(Tone::Bad, "failed", "error"),
            (Some(cell), Some(config), Some(rule)) => {
                let col = Col { name, config, cell };
                cols.push(col);
                (rule.meaning)(&col)
            }
            (Some(c), _, _) => Meaning::new(Tone::Info, "measured", c.value.to_string()),
        };
        cells.push((name.to_owned(), meaning));
    }
    let Judgement {
        verdict,
        why,
        numbers,
    } = match rule {
        Some(rule) => (rule.judge)(&cols),
        None => judged(
            Verdict::NotMeasured,
            format!("No rule judges the claim of {} yet.", s.id),
        ),
    };
    ClaimVerdict {
        verdict,
        words: verdict.words(),
        why,
        numbers,
        cells,
    }
}

// ---------------------------------------------------------------- helpers

/// `a`, `a and b`, `a, b and c`.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// The names of `cols`, listed.
fn names(cols: &[&Col]) -> String {
    list(&cols.iter().map(|c| c.name).collect::<Vec<_>>())
}

/// The names of `cols` with a value each: `jwt 200 and jwt+denylist 401`,
/// or `jwt and jwt/cookie 200` when they share it.
fn with_values(cols: &[&Col], value: impl Fn(&Col) -> String) -> String {
    let values: Vec<String> = cols.iter().map(|c| value(c)).collect();
    if let Some(first) = values.first()
        && values.iter().all(|v| v == first)
    {
        return format!("{} {first}", names(cols));
    }
    list(
        &cols
            .iter()
            .zip(&values)
            .map(|(c, v)| format!("{} {v}", c.name))
            .collect::<Vec<_>>(),
    )
}

fn status_text(s: Option<u16>) -> String {
    s.map_or_else(|| "?".to_owned(), |s| s.to_string())
}

fn pick<'a, 'b>(cols: &'b [Col<'a>], f: impl Fn(&Col) -> bool) -> Vec<&'b Col<'a>> {
    cols.iter().filter(|c| f(c)).collect()
}

fn not_measured(what: &str) -> Judgement {
    judged(
        Verdict::NotMeasured,
        format!("The cells this verdict needs ({what}) were not measured."),
    )
}

/// The meaning of a status answered to a credential that should be dead.
fn dead_credential(status: Option<u16>, still: &str, refused: &str) -> (Tone, String) {
    match status {
        Some(200) => (Tone::Catch, still.to_owned()),
        Some(401 | 403) => (Tone::Good, refused.to_owned()),
        _ => (Tone::Bad, "unexpected".to_owned()),
    }
}

fn shown_status(s: Option<u16>) -> String {
    status_text(s)
}

// ------------------------------------------------------------------ rules

fn login(cols: &[Col]) -> Judgement {
    if cols.is_empty() {
        return not_measured("a login in any column");
    }
    let failed = pick(cols, |c| c.status() != Some(200));
    if !failed.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "A login did not get to /protected in {}.",
                with_values(&failed, |c| status_text(c.status()))
            ),
        );
    }
    let cookies = pick(cols, |c| c.is_session());
    let headers = pick(cols, |c| c.is_jwt() && c.in_header());
    let jwt_cookies = pick(cols, |c| c.is_jwt() && !c.in_header());
    let mut why = format!(
        "Every column logged in and got 200 on /protected: the session with its cookie ({}), \
         the JWT with a bearer header ({})",
        names(&cookies),
        names(&headers)
    );
    if jwt_cookies.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let _ = write!(
        why,
        "; but the header is a choice: the same JWT in a cookie got 200 too ({}), sent by the \
         browser like a session's.",
        names(&jwt_cookies)
    );
    judged(Verdict::HoldsWithACatch, why)
}

fn login_meaning(c: &Col) -> Meaning {
    match c.status() {
        Some(200) => Meaning::new(Tone::Good, "logged in", "200"),
        s => Meaning::new(Tone::Bad, "login fails", shown_status(s)),
    }
}

fn credential_size(cols: &[Col]) -> Judgement {
    let bytes = |c: &Col| c.metric(Metric::CredentialBytes);
    let sessions = pick(cols, |c| c.is_session() && bytes(c).is_some());
    let jwts = pick(cols, |c| c.is_jwt() && bytes(c).is_some());
    let (Some(session), Some(jwt)) = (
        sessions.iter().copied().max_by(|a, b| {
            bytes(a)
                .partial_cmp(&bytes(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        jwts.iter().copied().min_by(|a, b| {
            bytes(a)
                .partial_cmp(&bytes(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
    ) else {
        return not_measured("the credential's bytes of a session and of a JWT");
    };
    let (sb, jb) = (bytes(session).unwrap_or(0.0), bytes(jwt).unwrap_or(0.0));
    let all = |cols: &[&Col]| with_values(cols, |c| format!("{:.0} B", bytes(c).unwrap_or(0.0)));
    let numbers = Some(format!(
        "Credential bytes per request: {}.",
        with_values(
            &sessions.iter().chain(&jwts).copied().collect::<Vec<_>>(),
            |c| format!("{:.0} B", bytes(c).unwrap_or(0.0))
        )
    ));
    // The JWT's size moves by a byte or two with the claims' digits: the
    // sentence says the ratio, rounded down, and the bytes go in `numbers`.
    let (verdict, why) = if jb > sb {
        (
            Verdict::Holds,
            format!(
                "Every request carried the JWT ({}) at {:.0}× or more the bytes of the session \
                 cookie ({}), in a header or in a cookie alike.",
                names(&jwts),
                (jb / sb.max(1.0)).floor(),
                names(&sessions),
            ),
        )
    } else {
        (
            Verdict::FalseInPractice,
            format!(
                "The JWT was no bigger on the wire ({}) than the session cookie ({}).",
                all(&jwts),
                all(&sessions)
            ),
        )
    };
    Judgement {
        verdict,
        why,
        numbers,
    }
}

fn credential_size_meaning(c: &Col) -> Meaning {
    match c.metric(Metric::CredentialBytes) {
        Some(b) => Meaning::new(Tone::Info, "per request", format!("{b:.0} B")),
        None => Meaning::new(Tone::Unmeasured, "no number", "—"),
    }
}

fn server_state(cols: &[Col]) -> Judgement {
    let per_login = |c: &Col| c.metric(Metric::ServerBytesPerLogin).or(c.number());
    let sessions = pick(cols, |c| c.is_session() && per_login(c).is_some());
    let jwts = pick(cols, |c| c.is_jwt() && per_login(c).is_some());
    if jwts.is_empty() {
        return not_measured("what a JWT column stores per login");
    }
    let stateful = pick(cols, |c| {
        c.is_jwt() && per_login(c).is_some_and(|b| b > 0.0)
    });
    let numbers = Some(format!(
        "Bytes stored per login: {}.",
        with_values(
            &sessions.iter().chain(&jwts).copied().collect::<Vec<_>>(),
            |c| format!("{:.0} B", per_login(c).unwrap_or(0.0))
        )
    ));
    let sessions_too = if sessions.is_empty() {
        String::new()
    } else {
        format!(", as the sessions did ({})", names(&sessions))
    };
    let (verdict, why) = if stateful.len() == jwts.len() {
        (
            Verdict::FalseInPractice,
            format!(
                "Every JWT column stored state on the server for each login ({}: its refresh \
                 tokens, and a denylist adds entries at logout){sessions_too}.",
                names(&stateful)
            ),
        )
    } else if stateful.is_empty() {
        (
            Verdict::Holds,
            format!(
                "No JWT column stored anything per login ({}){sessions_too}.",
                names(&jwts)
            ),
        )
    } else {
        (
            Verdict::HalfTrue,
            format!(
                "Some JWT columns stored state per login ({}), others nothing ({}).",
                names(&stateful),
                names(&pick(cols, |c| c.is_jwt() && per_login(c) == Some(0.0)))
            ),
        )
    };
    Judgement {
        verdict,
        why,
        numbers,
    }
}

fn server_state_meaning(c: &Col) -> Meaning {
    let bytes = c.metric(Metric::ServerBytesPerLogin).or(c.number());
    match bytes {
        Some(b) if b > 0.0 && c.is_jwt() => {
            Meaning::new(Tone::Catch, "stores state", format!("{b:.0} B/login"))
        }
        Some(b) => Meaning::new(Tone::Info, "stores state", format!("{b:.0} B/login")),
        None => Meaning::new(Tone::Unmeasured, "no number", "—"),
    }
}

fn logout_replay(cols: &[Col]) -> Judgement {
    let stateless = pick(cols, |c| c.stateless_jwt());
    if stateless.is_empty() {
        return not_measured("a JWT without a denylist after logout");
    }
    let still = pick(cols, |c| c.stateless_jwt() && c.status() == Some(200));
    let sessions = pick(cols, |c| c.is_session());
    let revoking = pick(cols, |c| c.denylisted() && c.status() == Some(401));
    let status = |c: &Col| status_text(c.status());
    if still.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "After logout the JWT without a denylist was refused ({}): it was revoked.",
                with_values(&stateless, status)
            ),
        );
    }
    let mut why = format!(
        "After logout the JWT without a denylist still got 200 until its exp ({})",
        names(&still)
    );
    if !sessions.is_empty() {
        let _ = write!(
            why,
            ", where the session was refused at once ({})",
            with_values(&sessions, status)
        );
    }
    if still.len() < stateless.len() {
        let _ = write!(
            why,
            "; yet it was refused in {}.",
            with_values(
                &pick(cols, |c| c.stateless_jwt() && c.status() != Some(200)),
                status
            )
        );
        return judged(Verdict::HalfTrue, why);
    }
    if revoking.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let _ = write!(
        why,
        "; the catch: a denylist revokes it ({}), at the price of server state and a lookup per \
         request.",
        with_values(&revoking, status)
    );
    judged(Verdict::HoldsWithACatch, why)
}

fn logout_replay_meaning(c: &Col) -> Meaning {
    let (tone, label) = dead_credential(c.status(), "still works after logout", "refused");
    Meaning::new(tone, &label, shown_status(c.status()))
}

fn expiry_refresh(cols: &[Col]) -> Judgement {
    let jwts = pick(cols, |c| c.is_jwt());
    if jwts.is_empty() {
        return not_measured("a JWT after its exp");
    }
    let alive = pick(cols, |c| c.is_jwt() && c.status() != Some(401));
    if !alive.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "A JWT past its exp was not refused ({}).",
                with_values(&alive, |c| status_text(c.status()))
            ),
        );
    }
    let remembered = pick(cols, |c| {
        c.is_jwt() && c.asked("spent_refresh_replayed") == Some(401)
    });
    let why = format!(
        "The JWT expired on its own (401 after exp in {})",
        names(&jwts)
    );
    if remembered.is_empty() {
        return judged(
            Verdict::Holds,
            format!("{why}, and a refresh token brought a new one."),
        );
    }
    judged(
        Verdict::HalfTrue,
        format!(
            "{why}; but the refresh token that makes a short life bearable is server state: a \
             spent one replayed got 401 and took its family down ({}), so the server remembers \
             every refresh token, and revocation still waits for the access token's exp.",
            names(&remembered)
        ),
    )
}

fn expiry_refresh_meaning(c: &Col) -> Meaning {
    let (tone, label) = dead_credential(c.status(), "still works after expiry", "expired");
    Meaning::new(tone, &label, shown_status(c.status()))
}

fn tampering(cols: &[Col]) -> Judgement {
    if cols.is_empty() {
        return not_measured("a forged credential");
    }
    let let_in = pick(cols, |c| c.status() != Some(401));
    if !let_in.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "A forged credential was not refused ({}).",
                with_values(&let_in, |c| status_text(c.status()))
            ),
        );
    }
    let jwts = pick(cols, |c| c.is_jwt());
    judged(
        Verdict::Holds,
        format!(
            "Every forgery got 401: a flipped byte in every column ({}){}.",
            names(&pick(cols, |_| true)),
            if jwts.is_empty() {
                String::new()
            } else {
                format!(", and edited claims and `alg: none` in {}", names(&jwts))
            }
        ),
    )
}

fn tampering_meaning(c: &Col) -> Meaning {
    match c.status() {
        Some(401) => Meaning::new(Tone::Good, "forgery refused", "401"),
        s => Meaning::new(Tone::Bad, "forgery let in", shown_status(s)),
    }
}

fn restart(cols: &[Col]) -> Judgement {
    let after = |c: &Col| c.asked("after_restart").or(c.status());
    let jwts = pick(cols, |c| c.is_jwt());
    if jwts.is_empty() {
        return not_measured("a JWT after a restart");
    }
    let lost = pick(cols, |c| c.is_jwt() && after(c) != Some(200));
    if !lost.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "The JWT did not survive the restart ({}).",
                with_values(&lost, |c| status_text(after(c)))
            ),
        );
    }
    let kept = pick(cols, |c| c.is_session() && after(c) == Some(200));
    let gone = pick(cols, |c| c.is_session() && after(c) != Some(200));
    let mut why = format!(
        "The JWT survived the restart (200 in {}: its key is on disk)",
        names(&jwts)
    );
    if !kept.is_empty() || !gone.is_empty() {
        let _ = write!(
            why,
            "; a session survived where its store is outside the process ({}) and was lost where \
             it is not ({})",
            if kept.is_empty() {
                "none".to_owned()
            } else {
                with_values(&kept, |c| status_text(after(c)))
            },
            if gone.is_empty() {
                "none".to_owned()
            } else {
                with_values(&gone, |c| status_text(after(c)))
            }
        );
    }
    let revived = pick(cols, |c| c.asked("revoked_after_restart") == Some(200));
    if revived.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let remembered = pick(cols, |c| c.asked("revoked_after_restart") == Some(401));
    let _ = write!(
        why,
        "; the catch: an in-memory denylist forgot what it revoked, and a token logged out before \
         the restart got 200 after it ({}){}.",
        names(&revived),
        if remembered.is_empty() {
            String::new()
        } else {
            format!(
                ", where a denylist outside the process remembered ({} 401)",
                names(&remembered)
            )
        }
    );
    judged(Verdict::HoldsWithACatch, why)
}

fn restart_meaning(c: &Col) -> Meaning {
    if let Some(revived) = c.asked("revoked_after_restart") {
        let (tone, label) =
            dead_credential(Some(revived), "revoked token works again", "stays revoked");
        return Meaning::new(tone, &label, revived.to_string());
    }
    match c.asked("after_restart").or(c.status()) {
        Some(200) => Meaning::new(Tone::Good, "survives", "200"),
        Some(401) => Meaning::new(Tone::Bad, "logged out", "401"),
        s => Meaning::new(Tone::Bad, "unexpected", shown_status(s)),
    }
}

fn two_instances(cols: &[Col]) -> Judgement {
    let on_b = |c: &Col| c.asked("on_b").or(c.status());
    let jwts = pick(cols, |c| c.is_jwt());
    if jwts.is_empty() {
        return not_measured("a JWT on a second instance");
    }
    let refused = pick(cols, |c| c.is_jwt() && on_b(c) != Some(200));
    if !refused.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "The JWT did not work on instance B ({}).",
                with_values(&refused, |c| status_text(on_b(c)))
            ),
        );
    }
    let shared = pick(cols, |c| c.is_session() && on_b(c) == Some(200));
    let lost = pick(cols, |c| c.is_session() && on_b(c) != Some(200));
    let mut why = format!("The JWT worked on instance B (200 in {})", names(&jwts));
    if !shared.is_empty() {
        let _ = write!(
            why,
            ", but so did a session in a shared store ({} 200)",
            names(&shared)
        );
    }
    if !lost.is_empty() {
        let _ = write!(
            why,
            ", only the in-process one failing ({})",
            with_values(&lost, |c| status_text(on_b(c)))
        );
    }
    let unheard = pick(cols, |c| c.asked("after_logout_on_a_on_b") == Some(200));
    if unheard.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let heard = pick(cols, |c| c.asked("after_logout_on_a_on_b") == Some(401));
    let _ = write!(
        why,
        "; and a logout on A did not reach B through an in-memory denylist ({} still 200 on B){}: \
         revocation needs shared state too.",
        names(&unheard),
        if heard.is_empty() {
            String::new()
        } else {
            format!(", where one in a shared store did ({} 401)", names(&heard))
        }
    );
    judged(Verdict::HalfTrue, why)
}

fn two_instances_meaning(c: &Col) -> Meaning {
    if let Some(after) = c.asked("after_logout_on_a_on_b") {
        let (tone, label) = dead_credential(
            Some(after),
            "still works on B after logout",
            "logout reaches B",
        );
        return Meaning::new(tone, &label, after.to_string());
    }
    match c.asked("on_b").or(c.status()) {
        Some(200) => Meaning::new(Tone::Good, "works on B", "200"),
        Some(401) => Meaning::new(Tone::Bad, "logged out on B", "401"),
        s => Meaning::new(Tone::Bad, "unexpected", shown_status(s)),
    }
}

fn role_change(cols: &[Col]) -> Judgement {
    let jwts = pick(cols, |c| c.is_jwt());
    if jwts.is_empty() {
        return not_measured("a demoted admin's JWT");
    }
    let stale = pick(cols, |c| c.is_jwt() && c.status() == Some(200));
    let sessions = pick(cols, |c| c.is_session() && c.status() == Some(403));
    let denied = pick(cols, |c| c.is_jwt() && c.status() == Some(401));
    if stale.is_empty() {
        return judged(
            Verdict::Holds,
            format!(
                "No JWT column let a demoted admin in ({}).",
                with_values(&jwts, |c| status_text(c.status()))
            ),
        );
    }
    let longest = stale
        .iter()
        .filter_map(|c| c.metric(Metric::DemotionAppliesWithinS))
        .fold(0.0, f64::max);
    let mut why = format!(
        "No lookup, and the role is a copy: a demoted admin kept /admin (200) in {} for {}",
        names(&stale),
        if longest >= 60.0 {
            format!("up to {:.0} min, until its token expired", longest / 60.0)
        } else {
            "as long as its token lived".to_owned()
        }
    );
    if !sessions.is_empty() {
        let _ = write!(
            why,
            "; the session read the role at the next request ({} 403)",
            names(&sessions)
        );
    }
    if !denied.is_empty() {
        let _ = write!(
            why,
            "; a denylist ended the login at once ({} 401): the lookup again",
            names(&denied)
        );
    }
    why.push('.');
    judged(Verdict::HoldsWithACatch, why)
}

fn role_change_meaning(c: &Col) -> Meaning {
    let within = c.metric(Metric::DemotionAppliesWithinS);
    match c.status() {
        Some(200) => Meaning::new(
            Tone::Catch,
            "still admin after demotion",
            match within {
                Some(s) if s >= 60.0 => format!("200 ≤ {:.0} min", s / 60.0),
                _ => "200".to_owned(),
            },
        ),
        Some(403) => Meaning::new(Tone::Good, "demoted at once", "403"),
        Some(401) => Meaning::new(Tone::Good, "login ended at once", "401"),
        s => Meaning::new(Tone::Bad, "unexpected", shown_status(s)),
    }
}

fn cross_site(cols: &[Col]) -> Judgement {
    let headers = pick(cols, |c| c.in_header());
    let cookies = pick(cols, |c| !c.in_header());
    if headers.is_empty() || cookies.is_empty() {
        return not_measured("a forged request to a header and to a cookie column");
    }
    let through = |c: &Col| c.status().is_some_and(|s| s < 400);
    let header_through = pick(cols, |c| c.in_header() && through(c));
    if !header_through.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "A forged request went through to a bearer-header column ({}).",
                with_values(&header_through, |c| status_text(c.status()))
            ),
        );
    }
    let cookie_through = pick(cols, |c| !c.in_header() && through(c));
    let why = format!(
        "The forged request carried no bearer token ({} 401)",
        names(&headers)
    );
    if !cookie_through.is_empty() {
        return judged(
            Verdict::Holds,
            format!(
                "{why}, and the cookie let it through ({}).",
                with_values(&cookie_through, |c| status_text(c.status()))
            ),
        );
    }
    judged(
        Verdict::HoldsWithACatch,
        format!(
            "{why}, while the browser sent every cookie along and only the server's Origin check \
             refused it ({}); the catch: the token a page's script must hold is within an XSS's \
             reach (see what the client can read), and in a cookie (jwt/cookie) it needs the same \
             check.",
            with_values(&cookies, |c| status_text(c.status()))
        ),
    )
}

fn cross_site_meaning(c: &Col) -> Meaning {
    match c.status() {
        Some(401) => Meaning::new(Tone::Good, "no credential sent", "401"),
        Some(403) => Meaning::new(Tone::Good, "refused by the Origin check", "403"),
        s => Meaning::new(Tone::Bad, "forgery went through", shown_status(s)),
    }
}

/// The claim's two halves as measured over HTTP: CORS and a native client.
/// What a browser does with the cookie is the browser tests' to measure;
/// the sentence says what they found, and the lesson names them.
fn cross_site_spa(cols: &[Col]) -> Judgement {
    let headers = pick(cols, |c| c.in_header());
    let cookies = pick(cols, |c| !c.in_header());
    if headers.is_empty() || cookies.is_empty() {
        return not_measured("a bearer-header and a cookie column from a page and a native client");
    }
    let works = |c: &Col| c.status() == Some(200) && c.asked("preflight") == Some(200);
    let header_failed = pick(cols, |c| c.in_header() && !works(c));
    if !header_failed.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "The bearer token did not work from the page's origin or the native client ({}).",
                with_values(&header_failed, |c| status_text(c.status()))
            ),
        );
    }
    let cookie_works = pick(cols, |c| !c.in_header() && works(c));
    if cookie_works.is_empty() {
        return judged(
            Verdict::Holds,
            format!(
                "The bearer token worked from the page's origin and the native client ({} 200), \
                 the cookie from neither ({}).",
                names(&headers),
                with_values(&cookies, |c| status_text(c.status()))
            ),
        );
    }
    judged(
        Verdict::HalfTrue,
        format!(
            "Every column passed the page's preflight and worked from a native client ({} 200 \
             with a cookie jar, {} 200 with a header): sessions suit mobile apps and \
             cross-domain APIs as well; only a browser on another site tells them apart, where \
             the cookie is third-party and Chromium's default, like Safari's, never stores it \
             (browser tests).",
            names(&cookie_works),
            names(&headers)
        ),
    )
}

fn cross_site_spa_meaning(c: &Col) -> Meaning {
    match (c.status(), c.asked("preflight")) {
        (Some(200), Some(200)) if c.in_header() => {
            Meaning::new(Tone::Good, "works across sites", "200")
        }
        (Some(200), Some(200)) => {
            Meaning::new(Tone::Catch, "browser: needs third-party cookies", "200")
        }
        (s, _) => Meaning::new(Tone::Bad, "refused", shown_status(s)),
    }
}

fn client_readable(cols: &[Col]) -> Judgement {
    let claims = |c: &Col| c.number().unwrap_or(0.0);
    let headers = pick(cols, |c| c.is_jwt() && c.in_header());
    if headers.is_empty() {
        return not_measured("a JWT that page scripts hold");
    }
    let readable = pick(cols, |c| c.is_jwt() && c.in_header() && claims(c) > 0.0);
    if readable.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "The client read no claim from the JWT ({} 0).",
                names(&headers)
            ),
        );
    }
    let sessions = pick(cols, |c| c.is_session());
    let hidden = pick(cols, |c| c.is_jwt() && !c.in_header() && claims(c) == 0.0);
    let mut why = format!(
        "The client read the user's data from the token without any key ({}), and so can anyone \
         who holds it: signed is not encrypted",
        with_values(&readable, |c| format!("{:.0} claims", claims(c)))
    );
    if !sessions.is_empty() {
        let _ = write!(why, "; a session id gave 0 claims ({})", names(&sessions));
    }
    if !hidden.is_empty() {
        let _ = write!(
            why,
            "; in an HttpOnly cookie page scripts read 0 ({})",
            names(&hidden)
        );
    }
    why.push('.');
    judged(Verdict::HoldsWithACatch, why)
}

fn client_readable_meaning(c: &Col) -> Meaning {
    let n = c.number().unwrap_or(0.0);
    match (c.is_jwt(), n > 0.0) {
        (true, true) => Meaning::new(Tone::Catch, "readable by anyone", format!("{n:.0} claims")),
        (true, false) => Meaning::new(Tone::Good, "hidden from scripts", "0 claims"),
        (false, false) => Meaning::new(Tone::Good, "opaque id", "0 claims"),
        (false, true) => Meaning::new(Tone::Catch, "readable", format!("{n:.0} claims")),
    }
}

/// How much faster than an in-memory session a JWT must be for the claim
/// to hold: less is noise on a shared machine.
const MEASURABLY: f64 = 2.0;

fn throughput(cols: &[Col]) -> Judgement {
    let rps = |c: &Col| c.metric(Metric::RequestsPerS);
    let jwt = cols
        .iter()
        .find(|c| c.stateless_jwt() && c.in_header() && rps(c).is_some());
    let memory = cols
        .iter()
        .find(|c| c.is_session() && c.config.store == Store::Memory && rps(c).is_some());
    let far = pick(cols, |c| {
        c.is_session() && c.config.store != Store::Memory && rps(c).is_some()
    });
    let (Some(jwt), Some(memory)) = (jwt, memory) else {
        return not_measured("requests/s of a stateless JWT and of an in-memory session");
    };
    let j = rps(jwt).unwrap_or(0.0);
    let ratios: Vec<String> = std::iter::once(memory)
        .chain(far.iter().copied())
        .map(|c| {
            format!(
                "{} {}",
                crate::scenarios::ratio(j, rps(c).unwrap_or(0.0)),
                c.name
            )
        })
        .collect();
    let numbers = Some(format!("Requests/s: {} is {}.", jwt.name, list(&ratios)));
    let slowest = far
        .iter()
        .filter_map(|c| rps(c))
        .fold(f64::INFINITY, f64::min);
    let (verdict, why) = if j >= MEASURABLY * rps(memory).unwrap_or(0.0) {
        (
            Verdict::Holds,
            format!(
                "The JWT without a lookup ({}) ran at least {MEASURABLY}× the requests/s of \
                 even an in-memory session ({}).",
                jwt.name, memory.name
            ),
        )
    } else if !far.is_empty() && j > slowest {
        (
            Verdict::HalfTrue,
            format!(
                "The JWT without a lookup ({}) outran a session whose store is a round trip away \
                 ({}), but not an in-memory one ({}) by the {MEASURABLY}× that would be \
                 measurable: the store sets the speed, not the credential, and a denylist in \
                 Redis is that round trip again.",
                jwt.name,
                names(&far),
                memory.name
            ),
        )
    } else {
        (
            Verdict::FalseInPractice,
            format!(
                "The JWT without a lookup ({}) was not faster than the sessions ({}).",
                jwt.name,
                names(
                    &std::iter::once(memory)
                        .chain(far.iter().copied())
                        .collect::<Vec<_>>()
                )
            ),
        )
    };
    Judgement {
        verdict,
        why,
        numbers,
    }
}

fn throughput_meaning(c: &Col) -> Meaning {
    match c.metric(Metric::RequestsPerS) {
        Some(r) => Meaning::new(Tone::Info, "requests/s", Metric::RequestsPerS.show(r)),
        None => Meaning::new(Tone::Unmeasured, "no number", "—"),
    }
}

fn decentralized(cols: &[Col]) -> Judgement {
    let calls = |c: &Col| c.metric(Metric::LoginServerCallsPerRequest);
    let bearers = pick(cols, |c| c.is_jwt() && c.in_header() && calls(c).is_some());
    if bearers.is_empty() {
        return not_measured("a second service verifying a bearer JWT");
    }
    let leaning = pick(cols, |c| {
        c.is_jwt()
            && c.in_header()
            && (calls(c) != Some(0.0) || c.asked("login_server_down") != Some(200))
    });
    if !leaning.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "The second service could not verify the JWT alone ({}).",
                with_values(&leaning, |c| format!(
                    "{:.0} calls per request, {} with jwt-app down",
                    calls(c).unwrap_or(0.0),
                    status_text(c.asked("login_server_down"))
                ))
            ),
        );
    }
    let sessions = pick(cols, |c| c.is_session() && calls(c).is_some());
    let mut why = format!(
        "The second service verified the JWT with 0 calls to jwt-app per request and kept \
         answering 200 with jwt-app stopped ({})",
        names(&bearers)
    );
    if !sessions.is_empty() {
        let _ = write!(
            why,
            ", where a session cost a call per request and got 503 with session-app stopped ({})",
            names(&sessions)
        );
    }
    let loophole = pick(cols, |c| {
        c.asked("after_logout") == Some(200) || c.asked("after_demotion") == Some(200)
    });
    if loophole.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let asked = pick(cols, |c| {
        c.asked("asking_denylist_after_logout") == Some(401)
            && c.asked("asking_denylist_after_demotion") == Some(401)
    });
    let _ = write!(
        why,
        "; the catch: after a logout and a demotion the JWT still got 200 there ({}){}.",
        names(&loophole),
        if asked.is_empty() {
            String::new()
        } else {
            format!(
                ", even with jwt-app's own denylist on, until the service asked the same Redis \
                 denylist ({} 401)",
                names(&asked)
            )
        }
    );
    judged(Verdict::HoldsWithACatch, why)
}

fn decentralized_meaning(c: &Col) -> Meaning {
    let calls = c.metric(Metric::LoginServerCallsPerRequest);
    let Some(calls) = calls else {
        return match c.status() {
            Some(401) => Meaning::new(Tone::Info, "takes bearer tokens only", "401"),
            s => Meaning::new(Tone::Bad, "unexpected", shown_status(s)),
        };
    };
    let shown = format!(
        "{calls:.0} call{}",
        if (calls - 1.0).abs() < f64::EPSILON {
            ""
        } else {
            "s"
        }
    );
    if c.asked("asking_denylist_after_logout") == Some(401) {
        // Its own check still lets the logged-out token in; asked, the
        // denylist does not.
        return Meaning::new(Tone::Catch, "works after logout unless asked", shown);
    }
    match c.asked("after_logout") {
        Some(200) => Meaning::new(Tone::Catch, "still works after logout", shown),
        Some(401) => Meaning::new(Tone::Good, "sees the logout", shown),
        _ => Meaning::new(Tone::Bad, "unexpected", shown),
    }
}

#[cfg(test)]
mod tests;
