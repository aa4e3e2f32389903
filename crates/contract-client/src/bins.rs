//! The workspace's binaries for the tests that start another package's
//! binary: cargo gives a test only its own package's (`CARGO_BIN_EXE_*`).
//!
//! They come from the build `cargo test --workspace` does, not from `cargo
//! servers`: cargo unifies features over the packages and targets it builds
//! together, so a `cargo servers` inside the test run would compile the
//! shared dependencies a second time (minutes on a 2-core machine). Under
//! `cargo test --workspace` the build asked for here is already done and
//! cargo answers at once; a test run on its own (`cargo test -p compare`)
//! waits for it instead of starting a stale binary.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Every binary of the workspace that `cargo test --workspace` builds (those
/// of the packages with integration tests), by name.
pub fn workspace_binaries() -> &'static HashMap<String, PathBuf> {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(build)
}

/// The binary `name`, with a message naming the fix if there is none.
pub fn workspace_binary(name: &str) -> &'static Path {
    workspace_binaries().get(name).unwrap_or_else(|| {
        panic!(
            "`cargo test --workspace` builds no binary {name:?}: cargo builds a \
             package's binaries for its integration tests, so its package needs one \
             (found: {:?})",
            workspace_binaries().keys().collect::<Vec<_>>()
        )
    })
}

fn build() -> HashMap<String, PathBuf> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "test",
        "--workspace",
        "--no-run",
        "--quiet",
        "--message-format=json-render-diagnostics",
    ])
    .current_dir(WORKSPACE)
    .stderr(Stdio::inherit());
    // Build scripts that watch cargo's own variables (ring's
    // `rerun-if-env-changed=CARGO_PKG_NAME`, ...) are checked against this
    // cargo's environment: with the test's values there, they would run
    // again, and everything above them would compile again.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(told_to_the_test) {
            cmd.env_remove(name);
        }
    }
    // The profile of the running test (target/<dir>/deps/<test>), so that
    // `cargo test --release` does not start debug builds.
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
        .unwrap_or("debug");
    if dir != "debug" {
        cmd.args(["--profile", dir]);
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo test --workspace --no-run failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| {
            msg["reason"] == "compiler-artifact"
                && msg["profile"]["test"] == false
                && msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"))
        })
        .filter_map(|msg| {
            let name = msg["target"]["name"].as_str()?.to_owned();
            Some((name, PathBuf::from(msg["executable"].as_str()?)))
        })
        .collect()
}

/// A variable cargo sets for a test about the test's own package.
fn told_to_the_test(name: &str) -> bool {
    const PREFIXES: [&str; 4] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_BIN_",
        "CARGO_CRATE_",
    ];
    const NAMES: [&str; 3] = [
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix)) || NAMES.contains(&name)
}
