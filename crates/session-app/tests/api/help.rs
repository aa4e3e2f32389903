//! `--help` shows every setting with its variable, and the value a
//! variable holds now, except for settings that can carry a secret (issue
//! 21): a password in a database or Redis URL, a signing secret, the
//! resource server's URLs of the login servers. All three server binaries.

use std::path::Path;

use crate::processes;

const SECRET: &str = "s3cretpw-that-must-not-show";

fn help_hides(exe: &Path, settings: &[(&str, String)]) {
    let output = assert_cmd::Command::new(exe)
        .arg("--help")
        .env_clear()
        .envs(settings.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run --help");
    let name = exe.display();
    assert!(output.status.success(), "{name}: {output:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for (setting, _) in settings {
        assert!(
            help.contains(setting),
            "{name} --help names {setting}:\n{help}"
        );
    }
    assert!(
        !help.contains(SECRET),
        "{name} --help shows a secret value:\n{help}"
    );
}

#[test]
fn help_hides_the_values_of_secret_settings() {
    let redis = (
        "REDIS_URL",
        format!("redis://:{SECRET}@cache.example:6379/2"),
    );
    help_hides(
        &processes::session_app(),
        &[
            (
                "DATABASE_URL",
                format!("postgres://auth:{SECRET}@db.example/auth"),
            ),
            redis.clone(),
            ("DEVICE_COOKIE_SECRET", format!("{SECRET}-{SECRET}")),
        ],
    );
    help_hides(
        &processes::jwt_app(),
        &[
            (
                "DATABASE_URL",
                format!("mysql://auth:{SECRET}@db.example/auth"),
            ),
            redis.clone(),
            ("JWT_SECRET", format!("{SECRET}-{SECRET}")),
            ("DEVICE_COOKIE_SECRET", format!("{SECRET}-{SECRET}")),
        ],
    );
    help_hides(
        contract_client::bins::workspace_binary("resource-server"),
        &[
            redis,
            ("JWT_APP_URL", format!("http://svc:{SECRET}@127.0.0.1:3000")),
            (
                "SESSION_APP_URL",
                format!("http://svc:{SECRET}@127.0.0.1:3001"),
            ),
        ],
    );
}
