//! End to end: the real `compare` binary, `--quick`, its JSON checked cell by
//! cell against the contract, and no server process left behind.

use std::{
    io::Read,
    process::{Child, Command, ExitStatus, Stdio},
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;

const CONFIGS: [&str; 4] = ["session/memory", "session/sqlite", "jwt", "jwt+denylist"];

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Kills the child if the test panics before it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reader(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    })
}

/// Runs `compare ARGS` with a time limit; `marker` tags its environment (and
/// so its servers') so that leftover processes can be found afterwards.
fn compare(args: &[&str], marker: &str, limit: Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(args)
        .env("COMPARE_TEST_MARKER", marker)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start compare");
    let out = reader(child.stdout.take().expect("stdout"));
    let err = reader(child.stderr.take().expect("stderr"));
    let mut guard = Guard(child);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("wait for compare") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = guard.0.kill();
            let _ = guard.0.wait();
            let stderr = err.join().unwrap_or_default();
            panic!("compare {args:?} did not finish within {limit:?}; stderr:\n{stderr}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    Run {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
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

fn values(scenario: &Value) -> Vec<Value> {
    CONFIGS
        .iter()
        .map(|c| scenario["results"][*c]["value"].clone())
        .collect()
}

#[test]
fn quick_run_measures_every_cell_as_the_contract_says() {
    let marker = format!("quick-{}", std::process::id());
    let run = compare(
        &["--quick", "--format", "json", "--bcrypt-cost", "4"],
        &marker,
        Duration::from_secs(180),
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    });

    assert_eq!(report["version"], 1);
    assert_eq!(report["configurations"], serde_json::json!(CONFIGS));
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
    for id in [
        "login",
        "credential-size",
        "server-state",
        "logout-replay",
        "expiry-refresh",
        "tampering",
        "restart",
        "two-instances",
        "role-change",
        "cross-site",
        "client-readable",
        "throughput",
    ] {
        let s = scenario(id);
        for key in ["title", "claim", "lesson"] {
            assert!(
                s[key].as_str().is_some_and(|t| !t.is_empty()),
                "{id}: no {key}"
            );
        }
        for config in CONFIGS {
            let cell = &s["results"][config];
            assert!(
                cell["outcome"].as_str().is_some_and(|t| !t.is_empty()),
                "{id}/{config}: no outcome in {cell}"
            );
            assert!(cell["expected"].is_boolean(), "{id}/{config}: {cell}");
        }
    }

    let unexpected: Vec<String> = scenarios
        .iter()
        .flat_map(|s| {
            CONFIGS.iter().filter_map(move |c| {
                let cell = &s["results"][*c];
                (cell["expected"] != true).then(|| format!("{}/{c}: {}", s["id"], cell["outcome"]))
            })
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "cells the contract rules out: {unexpected:#?}\nstderr:\n{}",
        run.stderr
    );

    // The statuses the lessons rest on.
    let (ok, gone) = (Value::from(200), Value::from(401));
    assert_eq!(
        values(scenario("logout-replay")),
        [gone.clone(), gone.clone(), ok.clone(), gone.clone()],
        "logout: sessions and the denylist refuse; the stateless JWT still works (the loophole)"
    );
    assert_eq!(
        values(scenario("restart")),
        [gone.clone(), ok.clone(), ok.clone(), ok.clone()],
        "restart: the memory store forgets, the database and the key file remember, \
         and the memory denylist forgets the revoked token"
    );
    assert_eq!(
        values(scenario("two-instances")),
        [gone.clone(), ok.clone(), ok.clone(), ok.clone()],
        "two instances: only a shared store carries a session; \
         a memory denylist is not shared"
    );
    assert_eq!(
        values(scenario("tampering")),
        [gone.clone(), gone.clone(), gone.clone(), gone],
        "tampered credentials are refused everywhere"
    );
    assert_eq!(
        values(scenario("role-change")),
        [Value::from(403), Value::from(403), ok.clone(), ok],
        "a demotion applies at once with sessions, at the next refresh with JWTs"
    );

    assert!(
        run.status.success(),
        "exit status {:?}; stderr:\n{}",
        run.status,
        run.stderr
    );
    assert_no_server_left(&marker);
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
    assert!(run.status.success(), "stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "the report went to the file");
    let md = std::fs::read_to_string(&out).expect("the report file");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows[0], "| scenario | session/memory | jwt |", "{md}");
    assert_eq!(rows.len(), 3, "{md}");
    assert!(rows[2].contains("401") && rows[2].contains("200"), "{md}");
    assert_no_server_left(&marker);
}

#[test]
fn an_unknown_scenario_is_refused_before_anything_starts() {
    let run = compare(
        &["--scenario", "no-such-thing"],
        "unknown",
        Duration::from_secs(20),
    );
    assert_eq!(run.status.code(), Some(2), "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("logout-replay"), "{}", run.stderr);
}
