//! The operator's command, run as an operator runs it: the app's own binary,
//! with the server's settings, while the server runs.

use reqwest::StatusCode;

use crate::{
    PASSWORD, client, expect_error, get_with, login_credential, register, suite::Served,
    unique_email,
};

/// `<app> set-role EMAIL ROLE` through the app's binary; its exit status,
/// stdout and stderr.
pub async fn run_set_role(app: &impl Served, email: &str, role: &str) -> (bool, String, String) {
    let out = app
        .operator()
        .args(["set-role", email, role])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run the app's set-role command");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

/// Grants `role` to the registered account `email`, as an operator would.
pub async fn set_role(app: &impl Served, email: &str, role: &str) {
    let (ok, stdout, stderr) = run_set_role(app, email, role).await;
    assert!(ok, "set-role {email} {role} failed: {stdout} {stderr}");
}

/// `set-role` changes the role in the running server's database and says
/// so in one line; an unknown email, an unknown role and demoting the last
/// admin exit non-zero with a message that says why, and change nothing.
pub async fn set_role_command_rules(app: &impl Served) {
    let server = app.server();
    let c = client();
    let email = unique_email("operator");
    let res = register(&c, server, &email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user = login_credential(server, &email, PASSWORD).await;
    expect_error(
        get_with(server, &user, "/admin").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let (ok, stdout, stderr) = run_set_role(app, &email, "admin").await;
    assert!(ok, "{stdout} {stderr}");
    assert_eq!(
        stdout,
        format!("{email}: user -> admin"),
        "one line saying what changed"
    );
    let admin = login_credential(server, &email, PASSWORD).await;
    assert_eq!(
        get_with(server, &admin, "/admin").await.status(),
        StatusCode::OK,
        "the running server sees the grant"
    );

    let (ok, stdout, stderr) = run_set_role(app, "nobody@example.com", "admin").await;
    assert!(!ok, "an unknown email fails: {stdout}");
    assert!(
        stderr.contains("no account with email nobody@example.com"),
        "{stderr}"
    );

    let (ok, _, stderr) = run_set_role(app, &email, "root").await;
    assert!(!ok, "an unknown role fails");
    assert!(
        stderr.contains("root") && stderr.contains("admin"),
        "{stderr}"
    );

    let (ok, _, stderr) = run_set_role(app, &email, "user").await;
    assert!(!ok, "demoting the last admin fails");
    assert!(stderr.contains("last admin"), "{stderr}");
    assert_eq!(
        get_with(server, &admin, "/admin").await.status(),
        StatusCode::OK,
        "a refused command changed nothing"
    );
}
