//! The servers' OpenAPI documents: the committed copy under `docs/openapi/`
//! held against what a server serves, and schemathesis (`st`) run against a
//! server with every check, the stateful phase included.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use crate::{PASSWORD, skip_or_fail};

/// The workspace's root folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `GET /openapi.json` of the server at `base` equals `docs/openapi/<name>.json`.
/// With `UPDATE_OPENAPI=1` (`just openapi`) the file is written instead.
pub async fn matches_committed(base: &str, name: &str) {
    let served = crate::client()
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .expect("GET /openapi.json");
    assert_eq!(served.status(), 200);
    let served = served.text().await.expect("the document") + "\n";
    let file = workspace()
        .join("docs/openapi")
        .join(format!("{name}.json"));
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&file, &served).expect("write the document");
        eprintln!("wrote {}", file.display());
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == served,
        "{} differs from what the server serves: run `just openapi` and commit the result",
        file.display()
    );
}

/// The settings of a server schemathesis runs against: the fuzzer guesses
/// thousands of wrong passwords and registers thousands of accounts from
/// 127.0.0.1, and it gives wrong passwords for its own account too, where a
/// route asks for it again (`account_hooks.py`). Any of the login caps
/// would then refuse its own login for the rest of the run (the
/// per-(email, address) one after five wrong guesses in a row), leaving the
/// logged-in routes untested. The caps have tests of their own.
pub const FUZZ_ARGS: [&str; 8] = [
    "--login-max-failures",
    "1000000",
    "--login-max-failures-per-email",
    "1000000",
    "--login-max-failures-per-address",
    "1000000",
    "--register-max-per-address",
    "1000000",
];

/// The first line of every run's configuration (TOML's top-level keys come
/// before its tables): a run whose credential never worked, or that the
/// throttle answered 429 throughout, tested nothing behind them: a failure.
const FAIL_ON: &str = r#"warnings = { fail-on = ["missing_auth", "rate_limited"] }"#;

/// What every run's configuration holds, with its reason.
const SHARED_CONFIG: &str = r#"
# JSON Schema counts a password's characters; the server counts its UTF-8
# bytes (bcrypt reads 72). No schema keyword counts bytes: with any Unicode a
# schema-valid password of 72 characters is refused (400), and one of 3
# characters and 9 bytes is accepted. In ASCII characters are bytes, so the
# documented limits are the exact ones. Every check stays on.
[[operations]]
include-path = [
    "/register",
    "/login",
    "/account/password",
    "/account/logout-everywhere",
    "/account/logins/{id}",
]
generation.codec = "ascii"

# The fuzzer logs in and refreshes with made-up credentials, which never
# work: 401 is what these two answer it, not a credential of ours that failed.
[[operations]]
include-path = ["/login", "/refresh"]
warnings = false
"#;

/// How schemathesis gets the credential the document's `login` scheme names.
pub enum Login<'a> {
    /// It logs in at `POST /login` of the server under test as this user
    /// (with [`PASSWORD`]), and again whenever an answer is 401 (a logout it
    /// made ended the login), taking the credential from this cookie.
    Cookie { email: &'a str, cookie: &'a str },
    /// The same, taking `access_token` from the body as a bearer token.
    Bearer { email: &'a str },
    /// A bearer token from elsewhere (the resource server has no login).
    FixedBearer(&'a str),
    /// A cookie from elsewhere (its name is the scheme's).
    FixedCookie(&'a str),
}

impl Login<'_> {
    fn config(&self) -> String {
        let dynamic = |email: &str, from: &str, selector: &str| {
            format!(
                "[auth.dynamic.openapi.login]\npath = \"/login\"\n\
                 payload = {{ email = \"{email}\", password = \"{PASSWORD}\" }}\n\
                 extract_from = \"{from}\"\nextract_selector = \"{selector}\"\n"
            )
        };
        match self {
            Self::Cookie { email, cookie } => dynamic(email, "cookie", cookie),
            Self::Bearer { email } => dynamic(email, "body", "/access_token"),
            Self::FixedBearer(token) => format!("[auth.openapi.login]\nbearer = \"{token}\"\n"),
            Self::FixedCookie(value) => {
                format!("[auth.openapi.login]\napi_key = \"{value}\"\n")
            }
        }
    }

    /// Whether the run knows the account's password: then the routes that
    /// ask for it again get it (`account_hooks.py`), and must be exercised.
    fn knows_the_password(&self) -> bool {
        matches!(self, Self::Cookie { .. } | Self::Bearer { .. })
    }
}

/// The hooks that give the routes asking for the password again the real
/// one, and check that they were exercised (why: in the file).
const ACCOUNT_HOOKS: &str = include_str!("openapi/account_hooks.py");

/// The `st` to run: `SCHEMATHESIS` (a path), the venv `.ci/run` installs
/// under the target folder, or one on the `PATH`.
fn find_st() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let venv = target.join("schemathesis/bin/st");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("st"))
        .find(|st| st.is_file())
}

/// Runs schemathesis against the server at `base` with every check and every
/// phase; a finding fails the test with schemathesis' own report. `extra` are
/// more lines of its configuration (`schemathesis.toml`), each with the
/// reason it is there. `stateful`: the document has links, so the stateful
/// phase must run. Without `st`: skipped loudly, or failed under `CI=true`.
pub async fn schemathesis(base: &str, login: Login<'_>, stateful: bool, extra: &str) {
    let Some(st) = find_st() else {
        skip_or_fail(
            "schemathesis (`st`) is not installed: `.ci/run` installs it, or set SCHEMATHESIS",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    // Top-level keys, before the tables.
    let mut top = FAIL_ON.to_owned();
    if login.knows_the_password() {
        let hooks = dir.path().join("account_hooks.py");
        std::fs::write(&hooks, ACCOUNT_HOOKS).expect("write the hooks");
        top += &format!("\nhooks = \"{}\"", hooks.display());
    }
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!("{top}\n{}\n{extra}\n{SHARED_CONFIG}", login.config()),
    )
    .expect("write the config");
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "100".into());
    let output = tokio::process::Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--checks", "all"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", &examples])
        .args(["--workers", "1", "--no-color", "--output-truncate", "false"])
        .args(["--request-timeout", "10"])
        .env("FUZZ_PASSWORD", PASSWORD)
        // Its reports and example database go to the temporary folder.
        .args(["--generation-database", "none"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", st.display()));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems against {base} ({}):\n{report}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    if stateful {
        assert!(
            !report.contains("Stateful (not applicable)") && !report.contains("Stateful (skipped)"),
            "the stateful phase did not run:\n{report}"
        );
    }
}
