//! Every command of the workshop script (docs/workshop.md), run as written,
//! so that the script cannot drift from the code: a recipe renamed, a flag
//! dropped or a scenario id changed fails here.
//!
//! Each line of a ```sh block is `[NAME=value ...] just RECIPE [ARGS ...]`.
//! It runs from the repository's root, as the teacher runs it, with settings
//! that keep it off the teacher's ports and data: port 0 (ephemeral), its own
//! data folder, a cheap bcrypt cost, the binaries this test run has built
//! (`PREBUILT_BIN_DIR`, see the justfile) and `--quick` phases for the
//! harness. A recipe that serves is started, must answer on the address it
//! prints, and runs until the end of its part (a `##` heading), since later
//! steps of a part talk to it; every other command must exit 0.

use std::{
    collections::{BTreeSet, HashMap},
    io::Write,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::io::{AsyncBufReadExt, BufReader};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The recipes that serve until stopped, and what they print once listening
/// (`just up` prints two lines, prefixed with the server's name).
const SERVING: &[(&str, &[&str])] = &[
    ("up", &["[session] listening on ", "[jwt] listening on "]),
    ("run-session", &["listening on "]),
    ("run-jwt", &["listening on "]),
    ("run-jwt-cookie", &["listening on "]),
    ("run-api", &["listening on "]),
    ("run-attacker", &["attacker page on "]),
    ("run-spa", &["single-page app on "]),
];

/// Nothing is compiled inside the test (`PREBUILT_BIN_DIR`): a server's
/// start, and a `--quick` harness run, on a busy 2-core machine.
const START_LIMIT: Duration = Duration::from_secs(120);
const STEP_LIMIT: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Step {
    part: String,
    line: String,
    env: Vec<(String, String)>,
    recipe: String,
    args: Vec<String>,
}

/// The commands of the script, in order, with the part each belongs to.
fn steps(doc: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut part = String::new();
    let mut in_sh = false;
    for line in doc.lines() {
        if !in_sh && line.starts_with("## ") {
            part = line.trim_start_matches("## ").to_owned();
        } else if line.trim_start().starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
        } else if in_sh && !line.trim().is_empty() {
            steps.push(parse(&part, line));
        }
    }
    steps
}

fn parse(part: &str, line: &str) -> Step {
    assert!(
        !line.contains(['"', '\'', '#', '|', '&', ';', '$', '`']),
        "keep workshop commands plain words, so this test runs them as written: {line}"
    );
    let mut words = line.split_whitespace().peekable();
    let mut env = Vec::new();
    while let Some((name, value)) = words.peek().and_then(|w| w.split_once('=')) {
        env.push((name.to_owned(), value.to_owned()));
        words.next();
    }
    assert_eq!(
        words.next(),
        Some("just"),
        "the workshop needs only `just` and a browser: {line}"
    );
    let recipe = words
        .next()
        .unwrap_or_else(|| panic!("no recipe: {line}"))
        .to_owned();
    Step {
        part: part.to_owned(),
        line: line.to_owned(),
        env,
        recipe,
        args: words.map(str::to_owned).collect(),
    }
}

/// A recipe that serves, started in its own process group: dropped, the
/// group gets SIGINT (the teacher's Ctrl-C), then SIGKILL, whatever the
/// test's outcome.
struct Serving {
    line: String,
    group: u32,
    child: tokio::process::Child,
    /// The addresses it printed, by the prefix that named them.
    addresses: Vec<(String, String)>,
}

impl Serving {
    async fn stop(mut self) {
        signal("-INT", self.group);
        let stopped = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        assert!(stopped.is_ok(), "`{}` ignores Ctrl-C", self.line);
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        signal("-KILL", self.group);
    }
}

fn signal(signal: &str, group: u32) {
    let _ = std::process::Command::new("kill")
        .args([signal, "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

fn command(step: &Step, settings: &[(String, String)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("just");
    cmd.arg(&step.recipe)
        .args(&step.args)
        .current_dir(ROOT)
        .envs(settings.iter().map(|(k, v)| (k, v)))
        // The step's own settings last: they are what the script shows.
        .envs(step.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    cmd
}

async fn start(step: &Step, settings: &[(String, String)], prefixes: &[&str]) -> Serving {
    let mut child = command(step, settings)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("just runs");
    let group = child.id().expect("a running process");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut addresses = Vec::new();
    let listening = tokio::time::timeout(START_LIMIT, async {
        while addresses.len() < prefixes.len() {
            let Ok(Some(line)) = lines.next_line().await else {
                break;
            };
            for prefix in prefixes {
                if let Some(rest) = line.strip_prefix(prefix) {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    addresses.push(((*prefix).to_owned(), url.trim_end_matches('/').to_owned()));
                }
            }
        }
    })
    .await;
    let serving = Serving {
        line: step.line.clone(),
        group,
        child,
        addresses,
    };
    assert!(
        listening.is_ok() && serving.addresses.len() == prefixes.len(),
        "`{}` printed {:?}, expected a line starting with each of {prefixes:?}",
        step.line,
        serving.addresses
    );
    // Keep reading, so that a server that logs to stdout never blocks on a
    // full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    serving
}

/// The address answers HTTP: `/health` 200 on a server, `/` 200 on the
/// attacker's page and the SPA (which have no health route).
async fn answers(step: &Step, address: &str) {
    let path = if ["run-attacker", "run-spa"].contains(&step.recipe.as_str()) {
        "/"
    } else {
        "/health"
    };
    let status = reqwest::get(format!("{address}{path}"))
        .await
        .unwrap_or_else(|e| panic!("`{}`: {address}{path}: {e}", step.line))
        .status();
    assert_eq!(status, 200, "`{}`: {address}{path}", step.line);
}

fn just_installed() -> bool {
    std::process::Command::new("just")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_script_parses_into_just_commands() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/workshop.md"))
        .expect("docs/workshop.md");
    let steps = steps(&doc);
    // Every part has something to run.
    let parts: Vec<&str> = steps.iter().map(|s| s.part.as_str()).collect();
    for n in 1..=7 {
        assert!(
            parts.iter().any(|p| p.starts_with(&format!("{n}. "))),
            "part {n} runs no command: {parts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn workshop_commands_run() {
    if !just_installed() {
        contract_client::ci::skip_or_fail("`just` is not installed (cargo install just --locked)");
        return;
    }
    // Part 4 keeps sessions in Redis, the one service the script needs.
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    if !redis_answers(&redis_url) {
        contract_client::ci::skip_or_fail(&format!("no Redis answers at {redis_url} (just redis)"));
        return;
    }
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/workshop.md"))
        .expect("docs/workshop.md");
    let data = tempfile::tempdir().expect("a temp folder");
    let prefix = format!("workshop-test-{}:", std::process::id());
    let asked = Instant::now();
    let bin_dir = prebuilt_bin_dir();
    took(asked, "the binaries, from cargo");
    let base: Vec<(String, String)> = [
        ("PREBUILT_BIN_DIR", bin_dir.to_string_lossy().into_owned()),
        ("DATA_DIR", data.path().to_string_lossy().into_owned()),
        ("PORT", "0".into()),
        ("ATTACKER_PORT", "0".into()),
        ("SPA_PORT", "0".into()),
        ("API_PORT", "0".into()),
        ("BCRYPT_COST", "4".into()),
        // The harness passes its own cost to the servers it starts.
        ("COMPARE_BCRYPT_COST", "4".into()),
        ("REDIS_URL", redis_url.clone()),
        ("REDIS_PREFIX", prefix.clone()),
        ("COMPARE_QUICK", "true".into()),
        ("COMPARE_NO_OPEN", "true".into()),
        ("REPORT_FILE", report_file(data.path())),
        // `just stop` ends what this run started, never a teacher's servers.
        ("WORKSHOP_STATE_DIR", state_dir(data.path())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let mut part = String::new();
    let mut running: Vec<Serving> = Vec::new();
    let started = Instant::now();
    for step in steps(&doc) {
        if step.part != part {
            for serving in running.drain(..).rev() {
                serving.stop().await;
            }
            part.clone_from(&step.part);
        }
        let step_started = Instant::now();
        let mut settings = base.clone();
        settings.extend(upstreams(&running));
        if let Some((_, prefixes)) = SERVING.iter().find(|(r, _)| *r == step.recipe) {
            let serving = start(&step, &settings, prefixes).await;
            for (_, address) in &serving.addresses {
                answers(&step, address).await;
            }
            running.push(serving);
        } else {
            let status = tokio::time::timeout(STEP_LIMIT, command(&step, &settings).status())
                .await
                .unwrap_or_else(|_| panic!("`{}` still runs after {STEP_LIMIT:?}", step.line))
                .expect("just runs");
            assert!(
                status.success(),
                "`{}` in part {part:?}: {status}",
                step.line
            );
        }
        took(step_started, &step.line);
    }
    for serving in running.drain(..).rev() {
        serving.stop().await;
    }
    took(started, "the whole script");
    contract_client::redis::delete_prefix(&redis_url, &prefix)
        .expect("the test's Redis keys removed");
}

/// How long a step took (to its "listening" line and a first answer, for a
/// recipe that serves), for whoever wonders where CI's minutes go. Straight
/// to the process' stderr: the harness shows a passing test's output only
/// with --nocapture.
fn took(since: Instant, what: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "workshop: {:6.1} s  {what}",
        since.elapsed().as_secs_f64()
    );
}

/// The packages `cargo servers` (.cargo/config.toml) builds, in its order.
fn servers_alias_packages() -> Vec<String> {
    let config = std::fs::read_to_string(Path::new(ROOT).join(".cargo/config.toml"))
        .expect(".cargo/config.toml");
    let alias = config
        .lines()
        .find_map(|line| line.strip_prefix("servers = \"")?.strip_suffix('"'))
        .expect("a `servers` alias in .cargo/config.toml");
    let mut words = alias.split_whitespace();
    assert_eq!(words.next(), Some("build"), "cargo servers: {alias}");
    let words: Vec<&str> = words.collect();
    words
        .chunks(2)
        .map(|pair| match pair {
            ["-p", package] => (*package).to_owned(),
            _ => panic!("`cargo servers` is `build -p PACKAGE ...`, nothing else: {alias}"),
        })
        .collect()
}

/// The folder that holds every binary the recipes start, as this test run
/// has built them, for `PREBUILT_BIN_DIR`.
fn prebuilt_bin_dir() -> PathBuf {
    let dirs: BTreeSet<&Path> = servers_alias_packages()
        .iter()
        .map(|name| {
            contract_client::bins::workspace_binary(name)
                .parent()
                .expect("a binary in a folder")
        })
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "the recipes start every binary from one folder: {dirs:?}"
    );
    dirs.into_iter().next().expect("one folder").to_owned()
}

/// The workshop test starts the binaries of `PREBUILT_BIN_DIR` instead of
/// running `cargo servers`, so what that build leaves out is caught here: it
/// must build every binary a recipe starts, and only those.
#[test]
fn the_servers_alias_builds_every_binary_the_recipes_start() {
    let justfile = std::fs::read_to_string(Path::new(ROOT).join("justfile")).expect("the justfile");
    let started: BTreeSet<String> = justfile
        .match_indices("{{bin}}/")
        .map(|(at, found)| {
            justfile[at + found.len()..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let built: BTreeSet<String> = servers_alias_packages().into_iter().collect();
    assert_eq!(built, started, "cargo servers builds, the recipes start");
}

/// Where the servers already running in this part listen, under the names
/// the resource server reads, as the teacher's defaults would have it.
fn upstreams(running: &[Serving]) -> Vec<(String, String)> {
    let mut found = HashMap::new();
    for (prefix, address) in running.iter().flat_map(|s| {
        s.addresses
            .iter()
            .map(move |(p, a)| (format!("{} {p}", s.line), a))
    }) {
        if prefix.contains("[jwt]") || prefix.contains("run-jwt") {
            found.insert("JWT_APP_URL".to_owned(), address.clone());
        }
        if prefix.contains("[session]") || prefix.contains("run-session") {
            found.insert("SESSION_APP_URL".to_owned(), address.clone());
        }
    }
    found.into_iter().collect()
}

fn state_dir(dir: &Path) -> String {
    dir.join("workshop-state").to_string_lossy().into_owned()
}

/// `just stop`, the reset between parts: it ends the servers the recipes
/// started (here a server and the attacker's page, left running as a part
/// would leave them), so that the next part's servers find their ports free.
#[tokio::test(flavor = "multi_thread")]
async fn stop_ends_every_server_the_recipes_started() {
    if !just_installed() {
        contract_client::ci::skip_or_fail("`just` is not installed (cargo install just --locked)");
        return;
    }
    let data = tempfile::tempdir().expect("a temp folder");
    let settings: Vec<(String, String)> = [
        (
            "PREBUILT_BIN_DIR",
            prebuilt_bin_dir().to_string_lossy().into_owned(),
        ),
        ("DATA_DIR", data.path().to_string_lossy().into_owned()),
        ("PORT", "0".into()),
        ("ATTACKER_PORT", "0".into()),
        ("SPA_PORT", "0".into()),
        ("BCRYPT_COST", "4".into()),
        ("WORKSHOP_STATE_DIR", state_dir(data.path())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut running = Vec::new();
    for line in ["just run-session", "just run-attacker"] {
        let step = parse("stop test", line);
        let (_, prefixes) = SERVING
            .iter()
            .find(|(r, _)| *r == step.recipe)
            .expect("a serving recipe");
        let serving = start(&step, &settings, prefixes).await;
        answers(&step, &serving.addresses[0].1).await;
        running.push(serving);
    }

    let out = command(&parse("stop test", "just stop"), &settings)
        .stdout(Stdio::piped())
        .output()
        .await
        .expect("just runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("stopped:") && said.contains("session-app") && said.contains("attacker"),
        "{said}"
    );
    for mut serving in running {
        let exited = tokio::time::timeout(Duration::from_secs(10), serving.child.wait()).await;
        assert!(
            exited.is_ok(),
            "`{}` still runs after just stop",
            serving.line
        );
        let address = &serving.addresses[0].1;
        assert!(
            reqwest::get(address.as_str()).await.is_err(),
            "{address} still answers"
        );
    }
    let again = command(&parse("stop test", "just stop"), &settings)
        .stdout(Stdio::piped())
        .output()
        .await
        .expect("just runs");
    assert!(again.status.success(), "nothing running is no error");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing was running"));
}

fn report_file(dir: &Path) -> String {
    PathBuf::from(dir)
        .join("report.html")
        .to_string_lossy()
        .into_owned()
}

fn redis_answers(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    let address = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(6379)
    );
    address
        .parse()
        .is_ok_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}
