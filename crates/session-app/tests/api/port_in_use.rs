//! A port already taken, as the workshop meets it: the server of an earlier
//! part still runs when the next part starts one on the same port. Each
//! server binary says so in one line and exits non-zero, also with
//! `RUST_BACKTRACE` set (an error returned from `main` would print the
//! runtime's frames there, dozens of lines that say nothing more).

use std::{net::TcpListener, process::Stdio};

use crate::processes;

async fn refused_on_a_taken_port(name: &str, exe: &std::path::Path) {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port to take");
    let port = taken.local_addr().expect("its address").port();
    let dir = test_support::data_dir();
    let run = tokio::process::Command::new(exe)
        .args(["--port", &port.to_string()])
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("BCRYPT_COST", "4")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "off")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(processes::START_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("{name} still runs on a taken port"))
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines,
        [format!(
            "{name}: port {port} is in use: is another {name} running? stop it or set PORT"
        )],
        "{name}: one line, no backtrace"
    );
    drop(taken);
}

#[tokio::test]
async fn every_server_says_in_one_line_that_its_port_is_taken() {
    refused_on_a_taken_port("session-app", &processes::session_app()).await;
    refused_on_a_taken_port("jwt-app", &processes::jwt_app()).await;
    let resource_server = contract_client::bins::workspace_binary("resource-server");
    refused_on_a_taken_port("resource-server", resource_server).await;
}
