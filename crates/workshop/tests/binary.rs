//! The workshop page's binary as `just workshop` starts it: the address it
//! prints, the page under its policy, the relay's answers for a server that
//! does not exist or does not run.
//!
//! Being an integration test also makes `cargo test --workspace` build this
//! binary, which the workshop test (compare/tests/workshop.rs) expects of
//! every binary `cargo servers` builds.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// Killed on drop, whatever the test's outcome.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("the printed address answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("the request sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response read");
    response
}

#[test]
fn serves_the_page_and_says_which_server_is_missing() {
    // A port nothing listens on, for the session-app the page is told of.
    let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let nobody = free.local_addr().expect("its address").port();
    drop(free);
    let mut running = Running(
        Command::new(env!("CARGO_BIN_EXE_workshop"))
            .args(["--port", "0"])
            .args(["--session-app-url", &format!("http://127.0.0.1:{nobody}")])
            .env_remove("WORKSHOP_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the workshop binary starts"),
    );
    let stdout = running.0.stdout.take().expect("piped");
    let (sent, first_line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sent.send(line);
    });
    let line = first_line
        .recv_timeout(Duration::from_secs(30))
        .expect("the page prints its address within 30 s");
    let address = line
        .trim()
        .strip_prefix("the workshop's side-by-side page on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    assert!(!address.ends_with(":0"), "the port bound: {line:?}");

    let page = get(&address, "/");
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    let policy = page
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no policy: {page}"));
    assert!(
        policy.contains(&format!(
            "frame-src http://127.0.0.1:{nobody} http://127.0.0.1:3000"
        )) && policy.contains("frame-ancestors 'none'")
            && policy.contains("connect-src 'self'"),
        "{policy}"
    );
    assert!(page.contains(&format!("data-session=\"http://127.0.0.1:{nobody}\"")));
    assert!(
        page.contains(&format!("data-self=\"http://{address}\"")),
        "the page names the origin it is served on"
    );

    let unknown = get(&address, "/inspect/nobody");
    assert!(unknown.starts_with("HTTP/1.1 404 "), "{unknown}");
    assert!(unknown.contains(r#""error":"not_found""#), "{unknown}");
    let bad = get(&address, "/inspect/session-app?after=soon");
    assert!(bad.starts_with("HTTP/1.1 400 "), "{bad}");
    let down = get(&address, "/inspect/session-app");
    assert!(down.starts_with("HTTP/1.1 503 "), "{down}");
    assert!(down.contains("is the server running?"), "{down}");
}
