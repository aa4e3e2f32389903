//! The spa binary as `just run-spa` starts it: the port it is given (0: any
//! free one), the address it prints, the page it serves.
//!
//! Being an integration test also makes `cargo test --workspace` build this
//! binary, which the workshop test (compare/tests/workshop.rs) starts: cargo
//! builds a package's binaries only for its integration tests.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

const PAGE: &str = include_str!("../src/page/index.html");

/// Killed on drop, whatever the test's outcome.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_the_page_on_the_port_it_prints() {
    let mut running = Running(
        Command::new(env!("CARGO_BIN_EXE_spa"))
            .args(["--port", "0"])
            .env_remove("SPA_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the spa binary starts"),
    );
    let stdout = running.0.stdout.take().expect("piped");
    // The first line, or nothing if the binary never prints one: a read in a
    // thread, so that the wait has a limit.
    let (sent, first_line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sent.send(line);
    });
    let line = first_line
        .recv_timeout(Duration::from_secs(30))
        .expect("the spa prints its address within 30 s");
    let address = line
        .strip_prefix("single-page app on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    assert!(
        !address.ends_with(":0"),
        "the port bound, not the one asked for: {line:?}"
    );

    let mut stream = TcpStream::connect(address).expect("the printed address answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    write!(
        stream,
        "GET /?credential=session HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("the request sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response read");
    assert!(
        response.starts_with("HTTP/1.1 200 "),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    assert!(response.ends_with(PAGE), "the body is not the page");
}
