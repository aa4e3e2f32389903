//! `just up` (scripts/up.sh): both servers from one terminal, and one SIGINT
//! — the terminal's Ctrl-C — stops both, leaving no process behind.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::processes::{self, START_LIMIT};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/up.sh");
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// The script's process group, killed on drop: whatever the test's outcome,
/// neither the script nor a server it started outlives it.
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn up_starts_both_servers_and_one_sigint_stops_both() {
    let jwt = processes::jwt_app();
    let bin_dir = jwt.parent().expect("a folder").to_owned();
    assert_eq!(
        Some(bin_dir.as_path()),
        processes::session_app().parent(),
        "cargo puts both binaries in one folder"
    );
    let dir = test_support::data_dir();
    // Names this test's processes, to find any left behind.
    let marker = format!("up-test-{}", std::process::id());
    let mut script = up(dir.path(), &bin_dir, &marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs the script");
    let pid = script.id().expect("a running script");
    let _group = Group(pid);

    let mut lines = BufReader::new(script.stdout.take().expect("piped")).lines();
    let mut addresses = Vec::new();
    let started = tokio::time::timeout(START_LIMIT, async {
        while addresses.len() < 2 {
            let Ok(Some(line)) = lines.next_line().await else {
                break;
            };
            for name in ["session", "jwt"] {
                if let Some(url) = line.strip_prefix(&format!("[{name}] listening on ")) {
                    addresses.push((name, url.to_owned()));
                }
            }
        }
    })
    .await;
    assert!(started.is_ok() && addresses.len() == 2, "{addresses:?}");
    let client = reqwest::Client::new();
    for (name, address) in &addresses {
        let health = client
            .get(format!("{address}/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{name} at {address}");
        let body: serde_json::Value = health.json().await.unwrap();
        assert!(
            body["app"].as_str().unwrap_or_default().starts_with(name),
            "{body}"
        );
    }

    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let exited = tokio::time::timeout(STOP_LIMIT, script.wait()).await;
    assert!(
        exited.is_ok(),
        "the script still runs {STOP_LIMIT:?} after SIGINT"
    );

    let deadline = Instant::now() + STOP_LIMIT;
    loop {
        let left = processes_marked(&marker);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left running after SIGINT: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (name, address) in &addresses {
        assert!(
            client
                .get(format!("{address}/health"))
                .send()
                .await
                .is_err(),
            "{name} still answers at {address}"
        );
    }
}

/// The script in `dir` with the binaries of `bin_dir`, on ephemeral ports, in
/// a clean environment whose `marker` names its processes.
fn up(dir: &std::path::Path, bin_dir: &std::path::Path, marker: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg(SCRIPT)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("UP_BIN_DIR", bin_dir)
        .env("PORT", "0")
        .env("BCRYPT_COST", "4")
        .env("UP_TEST_MARKER", marker);
    cmd
}

/// The processes whose environment holds `marker`, with their command lines.
fn processes_marked(marker: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
        .map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            format!(
                "{:?}: {}",
                e.file_name(),
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            )
        })
        .collect()
}

/// One server that cannot start fails `just up`: the other is stopped, not
/// left serving half a workshop, and the script exits non-zero.
#[tokio::test]
async fn up_fails_and_stops_the_other_server_when_one_cannot_start() {
    let bin_dir = processes::jwt_app().parent().expect("a folder").to_owned();
    let dir = test_support::data_dir();
    let marker = format!("up-fail-test-{}", std::process::id());
    let script = up(dir.path(), &bin_dir, &marker)
        // session-app refuses it at once; jwt-app does not read it.
        .env("SESSION_STORE", "no-such-store")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs the script");
    let _group = Group(script.id().expect("a running script"));
    let out = tokio::time::timeout(START_LIMIT, script.wait_with_output())
        .await
        .expect("the script ends when a server cannot start")
        .expect("its output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}: {stderr}", out.status);
    assert!(stderr.contains("no-such-store"), "{stderr}");
    assert!(
        stderr.contains("up: a server stopped"),
        "says why it stopped the other: {stderr}"
    );
    let deadline = Instant::now() + STOP_LIMIT;
    while !processes_marked(&marker).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left running: {:?}",
            processes_marked(&marker)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
