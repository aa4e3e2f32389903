//! Each rule on hand-made cells shaped as today's measurement, then with one
//! outcome changed: the verdict must follow the cells.

use serde_json::Value;

use super::*;
use crate::report::{Cell, Metric, Report, ScenarioReport, sample};

const COLUMNS: [&str; 7] = [
    "session/memory",
    "session/sqlite",
    "session/redis",
    "jwt",
    "jwt+denylist",
    "jwt+denylist/redis",
    "jwt/cookie",
];

/// A cell with only a value.
fn v(value: impl Into<Value>) -> Cell {
    Cell::new("", value, true)
}

/// Today's cells of `scenario`, in column order.
fn today(scenario: &str) -> Vec<Cell> {
    match scenario {
        "login" => vec![v(200); 7],
        "credential-size" => [36, 36, 36, 417, 417, 417, 416]
            .map(|b| v(b).with(Metric::CredentialBytes, f64::from(b)))
            .to_vec(),
        "server-state" => [157, 81, 81, 192, 192, 194, 192]
            .map(|b| v(b).with(Metric::ServerBytesPerLogin, f64::from(b)))
            .to_vec(),
        "logout-replay" => [401, 401, 401, 200, 401, 401, 200].map(v).to_vec(),
        "expiry-refresh" => (0..7)
            .map(|i| {
                let c = v(401);
                if i >= 3 {
                    c.status("refresh", 200)
                        .status("spent_refresh_replayed", 401)
                } else {
                    c
                }
            })
            .collect(),
        "tampering" => vec![v(401); 7],
        "restart" => vec![
            v(401).status("after_restart", 401),
            v(200).status("after_restart", 200),
            v(200).status("after_restart", 200),
            v(200).status("after_restart", 200),
            v(200)
                .status("after_restart", 200)
                .status("revoked_after_restart", 200),
            v(401)
                .status("after_restart", 200)
                .status("revoked_after_restart", 401),
            v(200).status("after_restart", 200),
        ],
        "two-instances" => vec![
            v(401).status("on_b", 401),
            v(200).status("on_b", 200),
            v(200).status("on_b", 200),
            v(200).status("on_b", 200),
            v(200)
                .status("on_b", 200)
                .status("after_logout_on_a_on_b", 200),
            v(401)
                .status("on_b", 200)
                .status("after_logout_on_a_on_b", 401),
            v(200).status("on_b", 200),
        ],
        "role-change" => [403, 403, 403, 200, 401, 401, 200]
            .map(|s| {
                v(s).with(
                    Metric::DemotionAppliesWithinS,
                    if s == 200 { 899.5 } else { 0.0 },
                )
            })
            .to_vec(),
        "your-logins" | "sign-out-everywhere" | "password-change" => {
            [401, 401, 401, 200, 401, 401, 200]
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let c = v(s).status("listed", 200);
                    if i >= 3 { c.status("refresh", 401) } else { c }
                })
                .collect()
        }
        "idle-timeout" => [401, 401, 401, 200, 200, 200, 200]
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                if i >= 3 {
                    v(s).status("refresh", 401)
                } else {
                    v(s)
                }
            })
            .collect(),
        "cross-site" => [403, 403, 403, 401, 401, 401, 403].map(v).to_vec(),
        "cross-site-spa" => (0..7)
            .map(|_| {
                v(200)
                    .status("preflight", 200)
                    .status("foreign_cors_headers", 0)
            })
            .collect(),
        "client-readable" => [0, 0, 0, 9, 9, 9, 0].map(v).to_vec(),
        "throughput" => [4486.0, 2277.0, 2025.0, 3798.0, 3009.0, 1961.0, 2621.0]
            .map(|r| v(r).with(Metric::RequestsPerS, r))
            .to_vec(),
        "decentralized" => (0..7)
            .map(|i| match i {
                0..3 => v(1.0)
                    .with(Metric::LoginServerCallsPerRequest, 1.0)
                    .status("after_logout", 401)
                    .status("after_demotion", 403)
                    .status("login_server_down", 503),
                6 => v(401),
                _ => {
                    let c = v(0.0)
                        .with(Metric::LoginServerCallsPerRequest, 0.0)
                        .status("after_logout", 200)
                        .status("after_demotion", 200)
                        .status("login_server_down", 200);
                    if i == 5 {
                        c.status("asking_denylist_after_logout", 401)
                            .status("asking_denylist_after_demotion", 401)
                    } else {
                        c
                    }
                }
            })
            .collect(),
        other => panic!("no cells for {other}"),
    }
}

/// A report of one scenario with `cells`, judged.
fn report_of(scenario: &str, cells: Vec<Cell>) -> Report {
    let mut report = sample::report();
    report.configurations = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    report.scenarios = vec![ScenarioReport::new(
        scenario,
        scenario,
        "claim",
        "lesson",
        COLUMNS.iter().map(|c| (*c).to_owned()).zip(cells).collect(),
    )];
    report.judge();
    report
}

fn verdict_of(scenario: &str, cells: Vec<Cell>) -> ClaimVerdict {
    report_of(scenario, cells).scenarios[0]
        .claim_verdict
        .clone()
}

/// Today's verdict on `scenario`, and the one after `change` to its cells.
fn today_then(scenario: &str, change: impl FnOnce(&mut Vec<Cell>)) -> (ClaimVerdict, ClaimVerdict) {
    let before = verdict_of(scenario, today(scenario));
    let mut cells = today(scenario);
    change(&mut cells);
    (before, verdict_of(scenario, cells))
}

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).expect("a column")
}

#[test]
fn every_scenario_of_the_table_has_a_rule() {
    for s in crate::scenarios::SCENARIOS {
        assert!(rule(s.id).is_some(), "{}: no rule", s.id);
        assert_eq!(RULES.iter().filter(|r| r.scenario == s.id).count(), 1);
    }
}

#[test]
fn todays_cells_give_the_readmes_verdicts() {
    use Verdict::*;
    let wanted = [
        ("login", HoldsWithACatch),
        ("credential-size", Holds),
        ("server-state", FalseInPractice),
        ("logout-replay", HoldsWithACatch),
        ("expiry-refresh", HalfTrue),
        ("tampering", Holds),
        ("restart", HoldsWithACatch),
        ("two-instances", HalfTrue),
        ("role-change", HoldsWithACatch),
        ("your-logins", HalfTrue),
        ("sign-out-everywhere", HoldsWithACatch),
        ("password-change", HoldsWithACatch),
        ("idle-timeout", HoldsWithACatch),
        ("cross-site", HoldsWithACatch),
        ("cross-site-spa", HalfTrue),
        ("client-readable", HoldsWithACatch),
        ("throughput", HalfTrue),
        ("decentralized", HoldsWithACatch),
    ];
    for (id, verdict) in wanted {
        let v = verdict_of(id, today(id));
        assert_eq!(v.verdict, verdict, "{id}: {}", v.why);
        assert!(v.why.ends_with('.'), "{id}: {}", v.why);
        assert_eq!(v.cells.len(), 7, "{id}");
        assert!(
            v.cells.iter().all(|(_, m)| m.tone != Tone::Unmeasured),
            "{id}: {:?}",
            v.cells
        );
    }
}

#[test]
fn logout_replay_flips_when_the_stateless_jwt_is_refused() {
    let (before, after) = today_then("logout-replay", |c| {
        c[col("jwt")] = v(401);
        c[col("jwt/cookie")] = v(401);
    });
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert!(
        before
            .why
            .contains("still got 200 until its exp (jwt and jwt/cookie)"),
        "{}",
        before.why
    );
    assert!(
        before
            .why
            .contains("a denylist revokes it (jwt+denylist and jwt+denylist/redis 401)"),
        "{}",
        before.why
    );
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
    let (_, half) = today_then("logout-replay", |c| c[col("jwt")] = v(401));
    assert_eq!(half.verdict, Verdict::HalfTrue, "{}", half.why);
    let (_, no_denylist) = today_then("logout-replay", |c| {
        c[col("jwt+denylist")] = Cell::skipped("no");
        c[col("jwt+denylist/redis")] = Cell::skipped("no");
    });
    assert_eq!(no_denylist.verdict, Verdict::Holds, "{}", no_denylist.why);
}

#[test]
fn logout_replay_colours_a_200_as_the_catch_and_a_401_as_refused() {
    let v = verdict_of("logout-replay", today("logout-replay"));
    let jwt = v.meaning("jwt").expect("jwt");
    assert_eq!(
        (jwt.tone, jwt.label.as_str(), jwt.shown.as_str()),
        (Tone::Catch, "still works after logout", "200")
    );
    let denied = v.meaning("jwt+denylist").expect("denylist");
    assert_eq!(
        (denied.tone, denied.label.as_str()),
        (Tone::Good, "refused")
    );
}

#[test]
fn skipped_cells_leave_a_claim_not_measured() {
    let (_, after) = today_then("logout-replay", |c| {
        c[col("jwt")] = Cell::skipped("no");
        c[col("jwt/cookie")] = Cell::skipped("no");
    });
    assert_eq!(after.verdict, Verdict::NotMeasured, "{}", after.why);
    assert_eq!(after.meaning("jwt").map(|m| m.tone), Some(Tone::Unmeasured));
}

#[test]
fn login_holds_plainly_without_a_jwt_in_a_cookie_and_fails_on_a_refusal() {
    let (before, after) = today_then("login", |c| c[col("jwt/cookie")] = Cell::skipped("no"));
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
    let (_, failed) = today_then("login", |c| c[col("jwt")] = v(401));
    assert_eq!(failed.verdict, Verdict::FalseInPractice, "{}", failed.why);
}

#[test]
fn credential_size_flips_when_the_jwt_is_no_bigger() {
    let (before, after) = today_then("credential-size", |c| {
        for cell in &mut c[3..7] {
            *cell = v(30).with(Metric::CredentialBytes, 30.0);
        }
    });
    assert!(before.why.contains("at 11× or more"), "{}", before.why);
    assert!(
        !before.why.contains(" B"),
        "no bytes in the stable sentence: {}",
        before.why
    );
    assert!(
        before
            .numbers
            .as_deref()
            .is_some_and(|n| n.contains("jwt/cookie 416 B")),
        "{:?}",
        before.numbers
    );
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
}

#[test]
fn server_state_holds_when_the_jwt_stores_nothing() {
    let (before, after) = today_then("server-state", |c| {
        for cell in &mut c[3..7] {
            *cell = v(0).with(Metric::ServerBytesPerLogin, 0.0);
        }
    });
    assert_eq!(before.verdict, Verdict::FalseInPractice);
    assert!(
        before
            .numbers
            .as_deref()
            .is_some_and(|n| n.contains("jwt 192 B"))
    );
    assert!(
        !before.why.contains(" B"),
        "no bytes in the stable sentence: {}",
        before.why
    );
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
    assert_eq!(after.meaning("jwt").map(|m| m.tone), Some(Tone::Info));
    assert_eq!(before.meaning("jwt").map(|m| m.tone), Some(Tone::Catch));
}

#[test]
fn expiry_refresh_flips_when_a_jwt_outlives_its_exp() {
    let (before, after) = today_then("expiry-refresh", |c| c[col("jwt")] = v(200));
    assert_eq!(before.verdict, Verdict::HalfTrue);
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
    let (_, forgetful) = today_then("expiry-refresh", |c| {
        for cell in &mut c[3..7] {
            *cell = v(401).status("spent_refresh_replayed", 200);
        }
    });
    assert_eq!(forgetful.verdict, Verdict::Holds, "{}", forgetful.why);
}

#[test]
fn tampering_flips_when_a_forgery_gets_in() {
    let (before, after) = today_then("tampering", |c| c[col("jwt")] = v(200));
    assert_eq!(before.verdict, Verdict::Holds);
    assert_eq!(after.verdict, Verdict::FalseInPractice);
    assert!(after.why.contains("jwt 200"), "{}", after.why);
    assert_eq!(after.meaning("jwt").map(|m| m.tone), Some(Tone::Bad));
}

#[test]
fn restart_loses_its_catch_when_the_memory_denylist_remembers() {
    let (before, after) = today_then("restart", |c| {
        c[col("jwt+denylist")] = v(401)
            .status("after_restart", 200)
            .status("revoked_after_restart", 401);
    });
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert!(before.why.contains("(jwt+denylist)"), "{}", before.why);
    assert_eq!(
        before.meaning("session/memory").map(|m| m.tone),
        Some(Tone::Bad)
    );
    assert_eq!(
        before.meaning("jwt+denylist").map(|m| m.tone),
        Some(Tone::Catch)
    );
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
    let (_, lost) = today_then("restart", |c| {
        c[col("jwt")] = v(401).status("after_restart", 401)
    });
    assert_eq!(lost.verdict, Verdict::FalseInPractice);
}

#[test]
fn two_instances_holds_when_every_logout_reaches_b() {
    let (before, after) = today_then("two-instances", |c| {
        c[col("jwt+denylist")] = v(401)
            .status("on_b", 200)
            .status("after_logout_on_a_on_b", 401);
    });
    assert_eq!(before.verdict, Verdict::HalfTrue);
    assert_eq!(
        before.meaning("jwt+denylist").map(|m| m.tone),
        Some(Tone::Catch)
    );
    assert_eq!(
        before.meaning("session/memory").map(|m| m.tone),
        Some(Tone::Bad)
    );
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
    let (_, broken) = today_then("two-instances", |c| {
        c[col("jwt")] = v(401).status("on_b", 401)
    });
    assert_eq!(broken.verdict, Verdict::FalseInPractice);
}

#[test]
fn role_change_holds_plainly_when_no_role_goes_stale() {
    let (before, after) = today_then("role-change", |c| {
        c[col("jwt")] = v(403);
        c[col("jwt/cookie")] = v(403);
    });
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert!(before.why.contains("up to 15 min"), "{}", before.why);
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
}

#[test]
fn cross_site_flips_when_a_header_column_lets_the_forgery_in() {
    let (before, after) = today_then("cross-site", |c| c[col("jwt")] = v(204));
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
    let (_, open) = today_then("cross-site", |c| c[col("session/memory")] = v(204));
    assert_eq!(open.verdict, Verdict::Holds, "{}", open.why);
}

#[test]
fn cross_site_spa_flips_with_the_native_client() {
    let (before, after) = today_then("cross-site-spa", |c| {
        for name in [
            "session/memory",
            "session/sqlite",
            "session/redis",
            "jwt/cookie",
        ] {
            c[col(name)] = v(401).status("preflight", 200);
        }
    });
    assert_eq!(before.verdict, Verdict::HalfTrue, "{}", before.why);
    assert_eq!(after.verdict, Verdict::Holds, "{}", after.why);
    let (_, broken) = today_then("cross-site-spa", |c| {
        c[col("jwt")] = v(200).status("preflight", 405);
    });
    assert_eq!(broken.verdict, Verdict::FalseInPractice, "{}", broken.why);
}

#[test]
fn client_readable_flips_when_the_token_reads_as_nothing() {
    let (before, after) = today_then("client-readable", |c| {
        for cell in &mut c[3..6] {
            *cell = v(0);
        }
    });
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert_eq!(before.meaning("jwt").map(|m| m.tone), Some(Tone::Catch));
    assert_eq!(
        before.meaning("jwt/cookie").map(|m| m.tone),
        Some(Tone::Good)
    );
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
}

#[test]
fn throughput_follows_the_ratios_and_keeps_them_out_of_the_sentence() {
    let rps = |r: f64| v(r).with(Metric::RequestsPerS, r);
    let (before, fast) = today_then("throughput", |c| c[col("jwt")] = rps(9000.0));
    assert_eq!(before.verdict, Verdict::HalfTrue);
    assert!(
        !before.why.chars().any(|c| c.is_ascii_digit() && c != '2'),
        "{}",
        before.why
    );
    assert!(
        before
            .numbers
            .as_deref()
            .is_some_and(|n| n.contains("0.85× session/memory")),
        "{:?}",
        before.numbers
    );
    assert_eq!(fast.verdict, Verdict::Holds, "{}", fast.why);
    let (_, slow) = today_then("throughput", |c| c[col("jwt")] = rps(1000.0));
    assert_eq!(slow.verdict, Verdict::FalseInPractice, "{}", slow.why);
}

#[test]
fn decentralized_flips_when_the_service_must_ask() {
    let (before, after) = today_then("decentralized", |c| {
        for cell in &mut c[3..6] {
            *cell = v(1.0)
                .with(Metric::LoginServerCallsPerRequest, 1.0)
                .status("login_server_down", 503);
        }
    });
    assert_eq!(before.verdict, Verdict::HoldsWithACatch);
    assert!(
        before.why.contains("jwt+denylist/redis 401"),
        "{}",
        before.why
    );
    assert_eq!(after.verdict, Verdict::FalseInPractice, "{}", after.why);
    assert_eq!(
        before.meaning("jwt/cookie").map(|m| m.tone),
        Some(Tone::Info)
    );
}

#[test]
fn the_verdict_rides_in_the_json_under_a_key_of_its_own() {
    let report = report_of("logout-replay", today("logout-replay"));
    let json: Value =
        serde_json::from_str(&report.render(crate::report::ReportFormat::Json)).expect("JSON");
    let v = &json["scenarios"][0]["claim_verdict"];
    assert_eq!(v["verdict"], "holds_with_a_catch");
    assert_eq!(v["words"], "holds, with a catch");
    assert_eq!(v["cells"]["jwt"]["tone"], "catch");
    assert_eq!(v["cells"]["jwt"]["shown"], "200");
    let back = Report::from_json(&json.to_string()).expect("read back");
    assert_eq!(
        back.scenarios[0].claim_verdict,
        report.scenarios[0].claim_verdict
    );
}

#[test]
fn ending_logins_follows_the_stateless_jwts_answer() {
    for id in ["sign-out-everywhere", "password-change"] {
        let (before, revoked) = today_then(id, |c| {
            c[col("jwt")] = v(401).status("refresh", 401);
            c[col("jwt/cookie")] = v(401).status("refresh", 401);
        });
        assert_eq!(
            before.verdict,
            Verdict::HoldsWithACatch,
            "{id}: {}",
            before.why
        );
        assert_eq!(
            revoked.verdict,
            Verdict::FalseInPractice,
            "{id}: {}",
            revoked.why
        );
        let (_, no_denylist) = today_then(id, |c| {
            c[col("jwt+denylist")] = v(200).status("refresh", 401);
            c[col("jwt+denylist/redis")] = v(200).status("refresh", 401);
        });
        assert_eq!(
            no_denylist.verdict,
            Verdict::Holds,
            "{id}: {}",
            no_denylist.why
        );
        assert_eq!(
            before.meaning("jwt").map(|m| m.tone),
            Some(Tone::Catch),
            "{id}: the ended login's 200 is the catch"
        );
    }
}

#[test]
fn your_logins_is_half_true_while_listed_and_holds_when_jwt_cannot_list() {
    let (before, unlisted) = today_then("your-logins", |c| {
        for name in ["jwt", "jwt+denylist", "jwt+denylist/redis", "jwt/cookie"] {
            c[col(name)] = v(200).status("listed", 404);
        }
    });
    assert_eq!(before.verdict, Verdict::HalfTrue, "{}", before.why);
    assert!(before.why.contains("refresh families"), "{}", before.why);
    assert_eq!(unlisted.verdict, Verdict::Holds, "{}", unlisted.why);
    let (_, ended) = today_then("your-logins", |c| {
        c[col("jwt")] = v(401).status("listed", 200).status("refresh", 401);
        c[col("jwt/cookie")] = v(401).status("listed", 200).status("refresh", 401);
    });
    assert_eq!(ended.verdict, Verdict::FalseInPractice, "{}", ended.why);
}

#[test]
fn idle_timeout_is_false_when_an_idle_session_survives_or_a_jwt_is_cut_short() {
    let (before, session_lives) = today_then("idle-timeout", |c| c[col("session/redis")] = v(200));
    assert_eq!(before.verdict, Verdict::HoldsWithACatch, "{}", before.why);
    assert_eq!(session_lives.verdict, Verdict::FalseInPractice);
    assert!(
        session_lives.why.contains("session/redis 200"),
        "{}",
        session_lives.why
    );
    let (_, cut) = today_then("idle-timeout", |c| {
        c[col("jwt")] = v(401).status("refresh", 401);
    });
    assert_eq!(cut.verdict, Verdict::FalseInPractice, "{}", cut.why);
    let (_, refresh_lives) = today_then("idle-timeout", |c| {
        for name in ["jwt", "jwt+denylist", "jwt+denylist/redis", "jwt/cookie"] {
            c[col(name)] = v(200).status("refresh", 200);
        }
    });
    assert_eq!(
        refresh_lives.verdict,
        Verdict::Holds,
        "{}",
        refresh_lives.why
    );
    assert_eq!(
        before.meaning("session/memory").map(|m| m.label.as_str()),
        Some("timed out")
    );
}
