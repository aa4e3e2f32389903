//! End to end: the real `compare` binary, `--quick`, its JSON checked cell by
//! cell against the contract, its HTML page and charts, and no server
//! process (nor private redis-server) left behind.
//!
//! The Redis columns are measured with `REDIS_URL` if set, else with a private
//! redis-server if one is on the PATH. With neither they are skipped, which
//! these tests accept only outside CI (with a `SKIPPED` line on stderr); under
//! `CI=true` they must be measured.

use std::{
    io::Write,
    process::{Child, Stdio},
    sync::OnceLock,
    thread,
    time::{Duration, Instant},
};

use assert_cmd::{Command, assert::Assert};
use compare::{
    columns::{CONFIGURATIONS, Configuration, Store},
    report::charts::CHARTS,
    scenarios::SCENARIOS,
};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

/// Every column, in table order: the crate's own list, not a copy of it.
fn columns() -> Vec<&'static str> {
    CONFIGURATIONS.iter().map(|c| c.name).collect()
}

/// The columns that run only with a Redis.
fn redis_columns() -> Vec<&'static str> {
    CONFIGURATIONS
        .iter()
        .filter(|c| c.needs_redis())
        .map(|c| c.name)
        .collect()
}

/// The columns with `property`.
fn columns_where(property: impl Fn(&Configuration) -> bool) -> Vec<&'static str> {
    CONFIGURATIONS
        .iter()
        .filter(|c| property(c))
        .map(|c| c.name)
        .collect()
}

const SCENARIO_IDS: [&str; 18] = [
    "login",
    "credential-size",
    "server-state",
    "logout-replay",
    "expiry-refresh",
    "tampering",
    "restart",
    "two-instances",
    "role-change",
    "your-logins",
    "sign-out-everywhere",
    "password-change",
    "idle-timeout",
    "cross-site",
    "cross-site-spa",
    "client-readable",
    "throughput",
    "decentralized",
];

/// A skip must not pass unnoticed: straight to the process' stderr, which
/// the test harness does not capture (`eprintln!` it would).
fn loud_skip(test: &str, what: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: {what} (CI=true would fail)"
    );
}

/// Runs `compare ARGS` to the end, within a time limit; `marker` tags its
/// environment (and so its servers') so that leftover processes can be found
/// afterwards.
fn compare(args: &[&str], marker: &str, limit: Duration) -> Assert {
    compare_with(args, marker, limit, |_| {})
}

/// [`compare`], with the environment adjusted by `env` first.
fn compare_with(
    args: &[&str],
    marker: &str,
    limit: Duration,
    env: impl FnOnce(&mut Command),
) -> Assert {
    let mut cmd = Command::cargo_bin("compare").expect("the compare binary");
    env(&mut cmd);
    let run = cmd
        .args(args)
        .env("COMPARE_TEST_MARKER", marker)
        .timeout(limit)
        .assert();
    // assert_cmd kills a run that outlives `limit`, which leaves no exit code.
    assert!(
        run.get_output().status.code().is_some(),
        "compare {args:?} did not finish within {limit:?} ({}); stderr:\n{}",
        run.get_output().status,
        stderr(&run)
    );
    run
}

fn stdout(run: &Assert) -> String {
    String::from_utf8_lossy(&run.get_output().stdout).into_owned()
}

fn stderr(run: &Assert) -> String {
    String::from_utf8_lossy(&run.get_output().stderr).into_owned()
}

/// Kills the child if the test panics before it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Processes whose environment carries `marker`, other than zombies.
#[cfg(target_os = "linux")]
fn tagged_processes(marker: &str) -> Vec<String> {
    let needle = format!("COMPARE_TEST_MARKER={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
        })
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            (!cmdline.is_empty()).then(|| {
                format!(
                    "{}: {}",
                    e.file_name().to_string_lossy(),
                    String::from_utf8_lossy(&cmdline).replace('\0', " ")
                )
            })
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn tagged_processes(_: &str) -> Vec<String> {
    Vec::new()
}

fn assert_no_server_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = tagged_processes(marker);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server processes left running: {left:#?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// The port of the private redis-server named in `text` (the report's
/// `machine.redis`, or the guard's command line).
fn private_redis_port(text: &str) -> Option<u16> {
    let rest = match text.split_once("private redis-server") {
        Some((_, rest)) => rest.split_once("127.0.0.1:")?.1,
        None => text.split_once("--port ")?.1,
    };
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// redis-server rewrites its own environment (to make room for its process
/// title), so the marker does not find it: it is looked for by its port.
fn assert_redis_gone(port: u16) {
    let title = format!("redis-server 127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let running = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .any(|c| String::from_utf8_lossy(&c).contains(&title));
        let answers = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !running && !answers {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the private redis-server on port {port} is still running"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Each column's name and the value of its cell, in table order.
type Cells = Vec<(&'static str, Value)>;

/// The values of `scenario`'s cells against `wanted` (a value per column,
/// keyed by the column's name; `null` where the column was skipped), both
/// in table order. Every column must have its wanted value: a new column
/// adds its cells here, and a missing one fails by name, not by position.
fn cells_and_wanted(
    id: &str,
    scenario: &Value,
    wanted: &[(&str, &Value)],
    skipped: &[&str],
) -> (Cells, Cells) {
    for (column, _) in wanted {
        assert!(
            columns().contains(column),
            "{id}: a wanted cell for {column}, which is no column of compare::columns::CONFIGURATIONS"
        );
    }
    columns()
        .into_iter()
        .map(|column| {
            let Some((_, want)) = wanted.iter().find(|(c, _)| *c == column) else {
                panic!(
                    "{id}: no wanted cell for column {column}: add (\"{column}\", …) to this \
                     scenario's expect(…) in compare/tests/quick.rs"
                )
            };
            let want = if skipped.contains(&column) {
                Value::Null
            } else {
                (*want).clone()
            };
            let got = scenario["results"][column]["value"].clone();
            ((column, got), (column, want))
        })
        .unzip()
}

/// One quick run of every scenario on every column, shared by the tests that
/// read it (the run is what takes time): the HTML page it wrote, the JSON
/// report inside it, the charts it wrote as files, and its stderr.
struct QuickRun {
    page: String,
    report: Value,
    charts: tempfile::TempDir,
    stderr: String,
    code: Option<i32>,
}

fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let marker = format!("quick-{}", std::process::id());
        let dir = tempfile::tempdir().expect("temp dir");
        let charts = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("report.html");
        let run = compare(
            &[
                "--quick",
                "--bcrypt-cost",
                "4",
                "--format",
                "html",
                "--out",
                out.to_str().expect("utf-8 path"),
                "--charts",
                charts.path().to_str().expect("utf-8 path"),
            ],
            &marker,
            Duration::from_secs(180),
        );
        let err = stderr(&run);
        assert!(stdout(&run).is_empty(), "the report went to the file");
        let page = std::fs::read_to_string(&out)
            .unwrap_or_else(|e| panic!("no report file ({e}); stderr:\n{err}"));
        let html = Html::parse_document(&page);
        let data = html
            .select(&selector(&format!(
                "script#{}",
                compare::report::html::DATA_ID
            )))
            .next()
            .map(|s| s.text().collect::<String>())
            .unwrap_or_default();
        let report: Value = serde_json::from_str(&data)
            .unwrap_or_else(|e| panic!("the page carries no JSON report ({e}); stderr:\n{err}"));
        assert_no_server_left(&marker);
        if let Some(port) = report["machine"]["redis"]
            .as_str()
            .and_then(private_redis_port)
        {
            assert_redis_gone(port);
        }
        QuickRun {
            page,
            report,
            charts,
            stderr: err,
            code: run.get_output().status.code(),
        }
    })
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"))
}

#[test]
fn quick_run_measures_every_cell_as_the_contract_says() {
    let QuickRun {
        report,
        stderr: err,
        code,
        ..
    } = quick_run();
    let err = err.as_str();

    assert_eq!(report["version"], 1);
    assert_eq!(report["configurations"], serde_json::json!(columns()));
    assert_eq!(report["machine"]["quick"], true);
    assert_eq!(report["machine"]["bcrypt_cost"], 4);
    assert!(report["machine"]["cores"].as_u64().is_some_and(|n| n >= 1));

    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let scenario = |id: &str| {
        scenarios
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no scenario {id} in {report}"))
    };
    // The ids are the JSON's stable names, in table order (issue 4).
    let ids: Vec<&str> = scenarios.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, SCENARIO_IDS, "the eighteen scenarios, in table order");
    for id in SCENARIO_IDS {
        let s = scenario(id);
        for key in ["title", "claim", "lesson"] {
            assert!(
                s[key].as_str().is_some_and(|t| !t.is_empty()),
                "{id}: no {key}"
            );
        }
        for config in columns() {
            let cell = &s["results"][config];
            assert!(
                cell["outcome"].as_str().is_some_and(|t| !t.is_empty()),
                "{id}/{config}: no outcome in {cell}"
            );
            assert!(cell["expected"].is_boolean(), "{id}/{config}: {cell}");
        }
    }

    // The Redis columns: all measured, or (outside CI only) all skipped,
    // every cell saying how to get Redis.
    let mut skipped = Vec::new();
    for config in redis_columns() {
        let cells: Vec<&Value> = scenarios.iter().map(|s| &s["results"][config]).collect();
        let n = cells.iter().filter(|c| c["skipped"] == true).count();
        if n == 0 {
            assert!(
                cells.iter().all(|c| c.get("skipped").is_none()),
                "{config}: a measured cell has no `skipped` field"
            );
            continue;
        }
        assert_eq!(n, cells.len(), "{config}: skipped in some rows only");
        for cell in cells {
            assert_eq!(cell["value"], Value::Null, "{config}: {cell}");
            assert_eq!(cell["expected"], true, "{config}: {cell}");
            let outcome = cell["outcome"].as_str().unwrap_or_default();
            assert!(
                outcome.starts_with("skipped:") && outcome.contains("REDIS_URL"),
                "{config}: a skipped cell says how to get Redis: {outcome}"
            );
        }
        skipped.push(config);
    }
    if skipped.is_empty() {
        assert!(
            report["machine"]["redis"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "the report names the Redis it used: {}",
            report["machine"]
        );
    } else {
        assert!(
            !contract_client::ci::in_ci(),
            "CI=true: the Redis columns must be measured, not skipped; stderr:\n{err}"
        );
        assert!(err.contains("SKIPPED"), "stderr:\n{err}");
        loud_skip(
            "quick_run_measures_every_cell_as_the_contract_says",
            &format!(
                "no Redis, so {} were not measured (set REDIS_URL or install redis-server)",
                skipped.join(" and ")
            ),
        );
    }

    let unexpected: Vec<String> = scenarios
        .iter()
        .flat_map(|s| {
            columns().into_iter().filter_map(move |c| {
                let cell = &s["results"][c];
                (cell["expected"] != true).then(|| format!("{}/{c}: {}", s["id"], cell["outcome"]))
            })
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "cells the contract rules out: {unexpected:#?}\nstderr:\n{err}"
    );

    // The values the lessons rest on, keyed by column.
    let (ok, gone, no) = (Value::from(200), Value::from(401), Value::from(403));
    let expect = |id: &str, wanted: &[(&str, &Value)], why: &str| {
        let (cells, wanted) = cells_and_wanted(id, scenario(id), wanted, &skipped);
        assert_eq!(cells, wanted, "{id}: {why}");
    };
    expect(
        "logout-replay",
        &[
            ("session/memory", &gone),
            ("session/sqlite", &gone),
            ("session/redis", &gone),
            ("jwt", &ok),
            ("jwt+denylist", &gone),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &ok),
        ],
        "sessions and both denylists refuse; the stateless JWT still works (the loophole), \
         in a cookie too: clearing the cookie does not revoke the token",
    );
    expect(
        "restart",
        &[
            ("session/memory", &gone),
            ("session/sqlite", &ok),
            ("session/redis", &ok),
            ("jwt", &ok),
            ("jwt+denylist", &ok),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &ok),
        ],
        "the memory store forgets, the database, Redis and the key file remember; \
         the memory denylist forgets the revoked token, the Redis denylist keeps refusing it",
    );
    expect(
        "two-instances",
        &[
            ("session/memory", &gone),
            ("session/sqlite", &ok),
            ("session/redis", &ok),
            ("jwt", &ok),
            ("jwt+denylist", &ok),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &ok),
        ],
        "only a shared store (database, Redis) carries a session to B; a memory denylist \
         is not shared (200 on B), a Redis one is (401 on B)",
    );
    expect(
        "tampering",
        &[
            ("session/memory", &gone),
            ("session/sqlite", &gone),
            ("session/redis", &gone),
            ("jwt", &gone),
            ("jwt+denylist", &gone),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &gone),
        ],
        "tampered credentials are refused everywhere",
    );
    expect(
        "role-change",
        &[
            ("session/memory", &no),
            ("session/sqlite", &no),
            ("session/redis", &no),
            ("jwt", &ok),
            ("jwt+denylist", &gone),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &ok),
        ],
        "a demotion applies at once with sessions and with a denylist (the login is denied); \
         a stateless JWT keeps its stale role until it expires",
    );
    for (id, who) in [
        ("your-logins", "the ended login"),
        ("sign-out-everywhere", "the other devices"),
        ("password-change", "the thief's login"),
    ] {
        expect(
            id,
            &[
                ("session/memory", &gone),
                ("session/sqlite", &gone),
                ("session/redis", &gone),
                ("jwt", &ok),
                ("jwt+denylist", &gone),
                ("jwt+denylist/redis", &gone),
                ("jwt/cookie", &ok),
            ],
            &format!(
                "{who}: a session dies at once, so does a JWT behind a denylist; a stateless \
                 JWT's access token works until exp"
            ),
        );
    }
    expect(
        "idle-timeout",
        &[
            ("session/memory", &gone),
            ("session/sqlite", &gone),
            ("session/redis", &gone),
            ("jwt", &ok),
            ("jwt+denylist", &ok),
            ("jwt+denylist/redis", &ok),
            ("jwt/cookie", &ok),
        ],
        "an idle session times out; idleness never cuts an access token short (its refresh \
         token dies instead)",
    );
    // What an active credential costs the store, counted by the servers: 20
    // requests over the 2 s timeout slide a session's deadline once a second
    // (one to three writes, never one per request); a JWT's check writes
    // nothing, with a denylist too.
    let idle = scenario("idle-timeout");
    for c in CONFIGURATIONS {
        if skipped.contains(&c.name) {
            continue;
        }
        let writes = idle["results"][c.name]["metrics"]["store_writes_per_request"]
            .as_f64()
            .map(|per_request| (per_request * 20.0).round() as i64);
        let wanted = if c.is_session() { 1..=3 } else { 0..=0 };
        assert!(
            writes.is_some_and(|w| wanted.contains(&w)),
            "idle-timeout, {}: {writes:?} store writes for 20 requests, wanted {wanted:?}",
            c.name
        );
    }
    expect(
        "cross-site",
        &[
            ("session/memory", &no),
            ("session/sqlite", &no),
            ("session/redis", &no),
            ("jwt", &gone),
            ("jwt+denylist", &gone),
            ("jwt+denylist/redis", &gone),
            ("jwt/cookie", &no),
        ],
        "a cookie rides along on the forged request and the Origin check refuses it (403 \
         csrf), the JWT's cookie too; a bearer header is never attached (401)",
    );
    let works = Value::from(200);
    expect(
        "cross-site-spa",
        &[
            ("session/memory", &works),
            ("session/sqlite", &works),
            ("session/redis", &works),
            ("jwt", &works),
            ("jwt+denylist", &works),
            ("jwt+denylist/redis", &works),
            ("jwt/cookie", &works),
        ],
        "every column answers the allowed page's preflight and works from a native client, \
         a cookie jar or a header",
    );
    let (none, nine) = (Value::from(0), Value::from(9));
    expect(
        "client-readable",
        &[
            ("session/memory", &none),
            ("session/sqlite", &none),
            ("session/redis", &none),
            ("jwt", &nine),
            ("jwt+denylist", &nine),
            ("jwt+denylist/redis", &nine),
            ("jwt/cookie", &none),
        ],
        "page scripts read no claim of a session id, nor of a JWT in an HttpOnly cookie; \
         every claim of a JWT the page holds",
    );
    let (one_call, no_call) = (Value::from(1.0), Value::from(0.0));
    expect(
        "decentralized",
        &[
            ("session/memory", &one_call),
            ("session/sqlite", &one_call),
            ("session/redis", &one_call),
            ("jwt", &no_call),
            ("jwt+denylist", &no_call),
            ("jwt+denylist/redis", &no_call),
            ("jwt/cookie", &gone),
        ],
        "a second service asks session-app once per request and jwt-app never; the JWT in a \
         cookie does not reach a service that takes bearer tokens only",
    );
    for column in columns_where(|c| !c.is_session() && c.in_cookie()) {
        for id in ["login", "credential-size"] {
            let outcome = scenario(id)["results"][column]["outcome"]
                .as_str()
                .unwrap_or_default();
            assert!(
                outcome.contains("Cookie"),
                "{id}: {column} sends its token in the Cookie header: {outcome}"
            );
        }
    }
    for column in columns_where(|c| c.is_session() && c.needs_redis()) {
        if !skipped.contains(&column) {
            let cell = &scenario("server-state")["results"][column];
            assert!(
                cell["outcome"]
                    .as_str()
                    .is_some_and(|o| o.contains("Redis keys")),
                "server-state counts keys in Redis: {cell}"
            );
        }
    }
    let throughput = scenario("throughput")["lesson"]
        .as_str()
        .unwrap_or_default();
    // Each Redis column is held against its app's first column (in table
    // order) with the same state in the process.
    for redis in CONFIGURATIONS.iter().filter(|c| c.needs_redis()) {
        let column = redis.name;
        let base = columns_where(|c| c.app == redis.app && c.store == Store::Memory)
            .first()
            .copied()
            .unwrap_or_else(|| panic!("no in-process column of {}", redis.app.name()));
        if !skipped.contains(&column) {
            // "session/redis is 0.71× session/memory"
            let against = throughput
                .split_once(&format!("{column} is "))
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .map(|w| w.trim_end_matches([';', '.']));
            assert_eq!(
                against,
                Some(base),
                "throughput compares {column} with {base}: {throughput}"
            );
        }
    }

    assert_eq!(*code, Some(0), "stderr:\n{err}");
}

/// The quick run's page: HTML that parses, with every scenario of the crate's
/// list (not a copy of it), a chart per chart of the crate's list whose bars
/// and labels are the JSON's numbers, and nothing it would fetch.
#[test]
fn quick_run_as_html_is_one_page_with_every_scenario_and_its_charts() {
    let run = quick_run();
    let html = Html::parse_document(&run.page);
    assert!(
        html.errors.is_empty(),
        "HTML parse errors: {:?}",
        html.errors
    );
    let text = |e: ElementRef| e.text().collect::<String>();

    let table: Vec<String> = html
        .select(&selector("#measured tbody th"))
        .map(text)
        .collect();
    assert_eq!(table.len(), SCENARIOS.len(), "{table:?}");
    for (i, s) in SCENARIOS.iter().enumerate() {
        assert_eq!(table[i], format!("{}. {}", i + 1, s.title));
        let section = html
            .select(&selector(&format!("section#scenario-{}", s.id)))
            .next()
            .unwrap_or_else(|| panic!("no section for {}", s.id));
        let section_text = text(section);
        for what in [s.title, s.id, s.claim] {
            assert!(section_text.contains(what), "{}: no {what:?}", s.id);
        }
        assert!(section_text.contains("Verdict"), "{}", s.id);
        let lesson = run.report["scenarios"][i]["lesson"]
            .as_str()
            .unwrap_or_default();
        assert!(
            // Its inline code is rendered as code: the text has no backticks.
            !lesson.is_empty() && section_text.contains(&lesson.replace('`', "")),
            "{}: lesson",
            s.id
        );
    }

    let configs: Vec<&str> = run.report["configurations"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for chart in CHARTS {
        let figure = html
            .select(&selector(&format!(
                "section#scenario-{} figure#chart-{}",
                chart.scenario, chart.id
            )))
            .next()
            .unwrap_or_else(|| panic!("no chart {} in its scenario's section", chart.id));
        let svgs: Vec<ElementRef> = figure.select(&selector("svg")).collect();
        assert_eq!(svgs.len(), 1, "{}", chart.id);
        let labels: Vec<String> = svgs[0]
            .select(&selector("text"))
            .map(|t| text(t).trim().to_owned())
            .collect();
        let scenario = run.report["scenarios"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == chart.scenario))
            .expect("the chart's scenario in the JSON");
        let mut bars = 0;
        for config in &configs {
            assert!(labels.iter().any(|l| l == config), "{}: {config}", chart.id);
            let cell = &scenario["results"][*config];
            let wanted = match cell["metrics"][chart.metric.key()].as_f64() {
                Some(v) => {
                    bars += 1;
                    chart.metric.show(v)
                }
                None if cell["skipped"] == true => "— skipped: not measured".to_owned(),
                None => panic!("{}/{config}: measured, but no number: {cell}", chart.id),
            };
            assert!(
                labels.contains(&wanted),
                "{}/{config}: no label {wanted:?} in {labels:?}",
                chart.id
            );
        }
        // A rect per bar, and the background.
        let rects = svgs[0].select(&selector("rect")).count();
        assert!(rects > bars, "{}: {rects} rects for {bars} bars", chart.id);
        let file = run.charts.path().join(format!("{}.svg", chart.id));
        let svg = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("--charts wrote no {}: {e}", file.display()));
        assert!(
            svg.starts_with("<svg") && svg.contains(&labels[0]),
            "{}",
            chart.id
        );
    }

    // Self-contained: nothing to fetch, from anywhere.
    let external = |v: &str| {
        let v = v.trim().to_ascii_lowercase();
        v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")
    };
    for e in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        for (name, value) in e.value().attrs() {
            if [
                "src",
                "href",
                "xlink:href",
                "srcset",
                "action",
                "poster",
                "data",
            ]
            .contains(&name)
            {
                assert!(!external(value), "<{} {name}={value:?}>", e.value().name());
            }
            assert!(
                !(name == "style" && value.contains("url(")),
                "<{} style={value:?}>",
                e.value().name()
            );
        }
    }
    assert_eq!(html.select(&selector("link")).count(), 0, "no <link>");
    assert_eq!(
        html.select(&selector("script[src], img, iframe, object, embed"))
            .count(),
        0
    );
    for style in html.select(&selector("style")) {
        let css = text(style);
        assert!(!css.contains("@import") && !css.contains("url("), "{css}");
    }
}

/// The quick run's page teaches the claims: each section leads with the
/// verdict the rules drew (as in the JSON), the cells are coloured by what
/// they mean, the status matrix has a cell per scenario and column, the
/// flows are drawn, and no raw backtick is left in the text.
#[test]
fn quick_run_page_leads_each_section_with_the_claims_verdict() {
    let run = quick_run();
    let html = Html::parse_document(&run.page);
    assert!(
        html.errors.is_empty(),
        "HTML parse errors: {:?}",
        html.errors
    );
    let text = |e: ElementRef| e.text().collect::<String>();
    let configs = columns();

    for (i, s) in SCENARIOS.iter().enumerate() {
        let json = &run.report["scenarios"][i];
        assert_eq!(json["id"], s.id);
        let verdict = &json["claim_verdict"];
        let class = verdict["verdict"]
            .as_str()
            .expect("a verdict")
            .replace('_', "-");
        let section = html
            .select(&selector(&format!("section#scenario-{}", s.id)))
            .next()
            .unwrap_or_else(|| panic!("no section for {}", s.id));
        let children: Vec<ElementRef> = section.children().filter_map(ElementRef::wrap).collect();
        assert_eq!(children[0].value().name(), "h2", "{}", s.id);
        let lead = children[1];
        assert_eq!(
            lead.value().attr("class"),
            Some(format!("claim-verdict v-{class}").as_str()),
            "{}: the section leads with the claim's verdict",
            s.id
        );
        let lead_text = text(lead);
        assert!(lead_text.contains("Verdict on the claim"), "{}", s.id);
        let words = verdict["words"].as_str().expect("words");
        assert!(lead_text.contains(words), "{}: {words}", s.id);
        assert_ne!(class, "not-measured", "{}: {}", s.id, verdict["why"]);
        assert!(
            text(section).contains("Contract check"),
            "{}: the contract check stays",
            s.id
        );
        for (row, config) in section.select(&selector("table.cells tr")).zip(&configs) {
            let tone = verdict["cells"][*config]["tone"].as_str().expect("a tone");
            let td = row.select(&selector("td")).next().expect("a cell");
            let classes: Vec<&str> = td.value().classes().collect();
            assert!(
                classes.contains(&format!("tone-{tone}").as_str()),
                "{}/{config}: {classes:?}, want tone-{tone}",
                s.id
            );
        }
    }

    // A 200 that still works after logout does not look like a 401.
    let logout = run.report["scenarios"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["id"] == "logout-replay"))
        .expect("logout-replay");
    for config in &configs {
        let tone = &logout["claim_verdict"]["cells"][*config]["tone"];
        match logout["results"][*config]["value"].as_u64() {
            Some(200) => assert_eq!(tone, "catch", "{config}"),
            Some(401) => assert_eq!(tone, "good", "{config}"),
            _ => {}
        }
    }

    // The status matrix: a cell per scenario and column, toned as the JSON says.
    let matrix = html
        .select(&selector("figure#status-matrix svg"))
        .next()
        .expect("the status matrix");
    let cells: Vec<ElementRef> = matrix.select(&selector("g.cell")).collect();
    assert_eq!(cells.len(), SCENARIOS.len() * configs.len());
    for (i, s) in SCENARIOS.iter().enumerate() {
        for config in &configs {
            let cell = cells
                .iter()
                .find(|c| {
                    c.value().attr("data-scenario") == Some(s.id)
                        && c.value().attr("data-column") == Some(config)
                })
                .unwrap_or_else(|| panic!("no matrix cell for {}/{config}", s.id));
            let tone = run.report["scenarios"][i]["claim_verdict"]["cells"][*config]["tone"]
                .as_str()
                .expect("a tone");
            assert!(
                cell.value().classes().any(|c| c == format!("tone-{tone}")),
                "{}/{config}",
                s.id
            );
            let shown = run.report["scenarios"][i]["claim_verdict"]["cells"][*config]["shown"]
                .as_str()
                .expect("shown");
            assert!(text(*cell).contains(shown), "{}/{config}: {shown}", s.id);
        }
    }
    let file = run.charts.path().join("status-matrix.svg");
    let svg = std::fs::read_to_string(&file).expect("--charts wrote the status matrix");
    assert_eq!(
        svg.matches("<g class=\"cell ").count(),
        SCENARIOS.len() * configs.len()
    );

    // The flows, drawn in the page.
    let flows: Vec<ElementRef> = html
        .select(&selector("#flows figure.sequence svg"))
        .collect();
    assert!(flows.len() >= 2, "{} diagrams", flows.len());
    for svg in &flows {
        assert!(svg.select(&selector("line")).count() > 5);
    }

    // Inline code is code: no backtick left in the page's text.
    let body = html.select(&selector("body")).next().expect("body");
    for node in body.descendants() {
        let Some(t) = node.value().as_text() else {
            continue;
        };
        let in_script = node
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|e| e.value().name() == "script");
        assert!(
            in_script || !t.contains('`'),
            "a raw backtick in the page: {:?}",
            &**t
        );
    }
    assert!(html.select(&selector(".lesson code")).count() > 0);
}

/// The README's table of verdicts is what the rules give for the quick
/// run's cells: the rules run again on the JSON read back, and their table
/// is compared with the README's block.
#[test]
fn readme_verdicts_are_the_rules_on_the_quick_run() {
    let run = quick_run();
    let report = compare::report::Report::from_json(&run.report.to_string())
        .expect("the report reads back from its JSON");
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(readme_path).expect("README.md");
    let (begin, end) = (compare::report::CLAIMS_BEGIN, compare::report::CLAIMS_END);
    let start = readme
        .find(begin)
        .unwrap_or_else(|| panic!("README.md has no {begin}"))
        + begin.len()
        + 1;
    let stop = readme[start..]
        .find(end)
        .unwrap_or_else(|| panic!("README.md has no {end}"))
        + start;
    let generated = report.claims_markdown();
    // The speed row's verdict rests on requests/s, which a quick run on a
    // busy machine (this file's other tests run beside it) measures as
    // noise: that row is held to its claim, the others word for word.
    let speed_claim = SCENARIOS
        .iter()
        .find(|s| s.id == "throughput")
        .map(|s| s.claim.trim_end_matches('.'))
        .expect("the throughput scenario");
    let claim_of = |row: &str| row.split(" | ").next().unwrap_or_default().to_owned();
    let rows = |table: &str| -> Vec<String> {
        table
            .lines()
            .map(|row| {
                if row.contains(&format!("\"{speed_claim}\"")) {
                    claim_of(row)
                } else {
                    row.to_owned()
                }
            })
            .collect()
    };
    assert!(
        rows(&readme[start..stop]) == rows(&generated),
        "README.md's table of verdicts differs from the rules' on this run: paste the claims \
         table of `cargo compare --quick --format markdown` between the markers. The rules \
         give:\n{generated}"
    );
    // Each verdict's words, for every scenario of the table.
    for (s, json) in report
        .scenarios
        .iter()
        .zip(run.report["scenarios"].as_array().expect("scenarios"))
    {
        assert_eq!(
            json["claim_verdict"]["why"],
            s.claim_verdict.why.as_str(),
            "{}",
            s.id
        );
    }
}

#[test]
fn one_scenario_in_markdown_to_a_file() {
    let marker = format!("md-{}", std::process::id());
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("table.md");
    let path = out.to_str().expect("utf-8 path");
    let run = compare(
        &[
            "--quick",
            "--bcrypt-cost",
            "4",
            "--scenario",
            "logout-replay",
            "--config",
            "jwt",
            "--config",
            "session/memory",
            "--format",
            "markdown",
            "--out",
            path,
        ],
        &marker,
        Duration::from_secs(60),
    );
    let run = run.success();
    assert!(stdout(&run).is_empty(), "the report went to the file");
    let md = std::fs::read_to_string(&out).expect("the report file");
    // The measured table first, then the claims' table.
    let rows: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    // The header's cells, without the padding that lines the columns up.
    let head: Vec<&str> = rows[0].split('|').map(str::trim).collect();
    assert_eq!(head, ["", "scenario", "session/memory", "jwt", ""], "{md}");
    assert_eq!(rows.len(), 3, "{md}");
    assert!(rows[2].contains("401") && rows[2].contains("200"), "{md}");
    // Without a denylist column, the claim holds plainly: no catch measured.
    let claims: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| the articles say |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(claims.len(), 3, "{md}");
    assert!(
        claims[2].starts_with("| \"A JWT cannot be revoked: after logout it stays valid until it expires\" | **holds** |"),
        "{md}"
    );
    assert_no_server_left(&marker);
}

/// The environment of a machine without Redis: no REDIS_URL, and a PATH
/// without redis-server (the harness finds its own executable without PATH).
fn without_redis(cmd: &mut Command, path: &std::path::Path) {
    cmd.env_remove("REDIS_URL").env("PATH", path);
}

#[test]
fn without_redis_the_redis_columns_are_skipped_and_say_how_to_get_it() {
    let marker = format!("noredis-{}", std::process::id());
    let empty = tempfile::tempdir().expect("temp dir");
    let redis = redis_columns();
    let mut args = vec![
        "--quick",
        "--bcrypt-cost",
        "4",
        "--scenario",
        "two-instances",
        "--config",
        "jwt",
    ];
    for column in &redis {
        args.extend(["--config", column]);
    }
    args.extend(["--format", "json"]);
    let run = compare_with(&args, &marker, Duration::from_secs(60), |cmd| {
        without_redis(cmd, empty.path());
        cmd.env_remove("CI");
    });
    let (out, err) = (stdout(&run), stderr(&run));
    run.success();
    assert!(
        err.contains(&format!("SKIPPED {}", redis.join(", "))),
        "a skip is said on stderr: {err}"
    );
    let report: Value = serde_json::from_str(&out).expect("JSON report");
    let results = &report["scenarios"][0]["results"];
    assert_eq!(results["jwt"]["value"], 200, "the other columns still run");
    assert!(results["jwt"].get("skipped").is_none());
    for config in &redis {
        let cell = &results[config];
        assert_eq!(cell["skipped"], true, "{config}: {cell}");
        assert_eq!(cell["value"], Value::Null, "{config}: {cell}");
        assert_eq!(cell["expected"], true, "{config}: {cell}");
        let outcome = cell["outcome"].as_str().unwrap_or_default();
        for hint in [
            "skipped: no Redis",
            "just redis",
            "redis-server",
            "REDIS_URL",
        ] {
            assert!(outcome.contains(hint), "{config}: `{hint}` in {outcome}");
        }
    }
    assert_no_server_left(&marker);

    // Under CI=true the same run fails, and says why, before starting anything.
    let run = compare_with(&args, &marker, Duration::from_secs(60), |cmd| {
        without_redis(cmd, empty.path());
        cmd.env("CI", "true");
    });
    let (out, err) = (stdout(&run), stderr(&run));
    // CI=true without Redis must fail.
    run.failure();
    assert!(out.is_empty(), "no report: {out}");
    assert!(
        err.contains(&format!("no Redis for {} under CI=true", redis.join(", "))),
        "{err}"
    );
    assert_no_server_left(&marker);
}

/// Starts a full (not quick) throughput run on both Redis columns and one
/// other, and once the load is running, `stop`s the harness: every server,
/// and the private redis-server, must go with it.
///
/// The private redis-server is what is tested here, so REDIS_URL is set
/// aside when redis-server is on the PATH. Without it, a SIGKILL would leave
/// the keys of the run in the REDIS_URL Redis (nothing can clean up after a
/// SIGKILL), so that run leaves the Redis columns out.
///
/// Not assert_cmd: it runs a command to its end, and this test must read the
/// stderr of a harness that is still running and signal it midway, so it
/// holds the `std::process::Child` itself.
fn stopped_midway(test: &str, signal: Option<&str>) {
    let marker = format!("{test}-{}", std::process::id());
    let has_redis_server = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("redis-server").is_file())
    });
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_compare"));
    cmd.args(["--bcrypt-cost", "4", "--scenario", "throughput"]);
    if has_redis_server {
        cmd.env_remove("REDIS_URL");
    }
    if has_redis_server || signal.is_some() || std::env::var_os("REDIS_URL").is_none() {
        for column in redis_columns() {
            cmd.args(["--config", column]);
        }
    }
    let mut child = cmd
        .args(["--config", "jwt"])
        .env("COMPARE_TEST_MARKER", &marker)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start compare");
    let stderr = child.stderr.take().expect("stderr");
    let mut guard = Guard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let loading = line.contains("(round 1/");
                seen.push(line);
                if loading {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("compare ended before its load phase:\n{}", seen.join("\n"))
            }
        }
        assert!(
            Instant::now() < deadline,
            "no load phase:\n{}",
            seen.join("\n")
        );
    }
    let running = tagged_processes(&marker);
    let redis_skipped = seen.iter().any(|l| l.contains("SKIPPED"));
    if cfg!(target_os = "linux") {
        assert!(
            running.iter().filter(|p| p.contains(" serve ")).count() >= 1,
            "servers run during the load: {running:#?}"
        );
    }
    let redis_port = running
        .iter()
        .find(|p| p.contains(" guard "))
        .and_then(|p| private_redis_port(p));
    if has_redis_server {
        let port = redis_port.expect("a private redis-server during the load");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
            "the private redis-server answers on {port} during the load"
        );
    }
    let pid = guard.0.id().to_string();
    match signal {
        Some(signal) => {
            let sent = std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .expect("run kill");
            assert!(sent.success(), "kill {signal} {pid}");
        }
        None => {
            let _ = guard.0.kill();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("wait for compare") {
            break status;
        }
        assert!(Instant::now() < deadline, "compare did not stop");
        thread::sleep(Duration::from_millis(50));
    };
    if signal == Some("-INT") {
        assert_eq!(status.code(), Some(130), "Ctrl-C exits with 130");
    }
    assert_no_server_left(&marker);
    if let Some(port) = redis_port {
        assert_redis_gone(port);
    }
    // The servers' data folders and redis-server's: removed by an
    // interrupted harness; after a SIGKILL nothing could, so the test does.
    let folders: Vec<&str> = running
        .iter()
        .flat_map(|p| {
            ["--data-dir ", "--dir "]
                .into_iter()
                .filter_map(|flag| p.split_once(flag)?.1.split_whitespace().next())
        })
        .collect();
    assert!(!folders.is_empty(), "no data folder in {running:#?}");
    for folder in folders {
        if signal.is_some() {
            assert!(
                !std::path::Path::new(folder).exists(),
                "{folder} is left after the run was stopped"
            );
        } else {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
    if redis_skipped {
        loud_skip(
            test,
            "no Redis, so no private redis-server was there to stop",
        );
    }
}

#[test]
fn ctrl_c_stops_every_server_and_the_private_redis() {
    stopped_midway("ctrlc", Some("-INT"));
}

#[test]
fn a_killed_harness_takes_its_servers_and_redis_along() {
    // SIGKILL: no handler runs; the children notice their stdin close.
    stopped_midway("sigkill", None);
}

#[test]
fn an_unknown_scenario_is_refused_before_anything_starts() {
    let run = compare(
        &["--scenario", "no-such-thing"],
        "unknown",
        Duration::from_secs(20),
    );
    let err = stderr(&run);
    run.code(2);
    assert!(err.contains("logout-replay"), "{err}");
}
