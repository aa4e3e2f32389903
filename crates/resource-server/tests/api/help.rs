//! `--help` shows every setting with its variable, and the value a
//! variable holds now, except for settings that can carry a secret (issue
//! 21): a password in a database or Redis URL, a signing secret.

const SECRET: &str = "s3cretpw-that-must-not-show";

#[test]
fn help_hides_the_values_of_secret_settings() {
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_resource-server"))
        .arg("--help")
        .env_clear()
        .envs(secret_settings())
        .output()
        .expect("run --help");
    assert!(output.status.success(), "{output:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for (name, _) in secret_settings() {
        assert!(help.contains(name), "--help names {name}:\n{help}");
    }
    assert!(
        !help.contains(SECRET),
        "--help shows a secret value:\n{help}"
    );
}

fn secret_settings() -> Vec<(&'static str, String)> {
    vec![
        ("REDIS_URL", format!("redis://:{SECRET}@cache.example:6379")),
        ("JWT_APP_URL", format!("http://svc:{SECRET}@127.0.0.1:3000")),
        (
            "SESSION_APP_URL",
            format!("http://svc:{SECRET}@127.0.0.1:3001"),
        ),
    ]
}
