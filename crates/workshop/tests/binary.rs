//! The workshop page's binary as `just workshop` starts it: the address it
//! prints, the page under its policy, the relay's answers for a server that
//! does not exist or does not run.
//!
//! Being an integration test also makes `cargo test --workspace` build this
//! binary, which the workshop test (compare/tests/workshop.rs) expects of
//! every binary `cargo servers` builds.

use std::net::TcpListener;

use contract_client::page_binary::PageBinary;

#[test]
fn serves_the_page_and_says_which_server_is_missing() {
    // A port nothing listens on, for the session-app the page is told of.
    let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let nobody = free.local_addr().expect("its address").port();
    drop(free);
    let session_app = format!("http://127.0.0.1:{nobody}");
    let running = PageBinary::start(
        env!("CARGO_BIN_EXE_workshop"),
        "WORKSHOP_PORT",
        &["--session-app-url", &session_app],
        "the workshop's side-by-side page on http://",
    );
    let address = &running.address;
    let get = |path: &str| running.get(path);

    let page = get("/");
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

    let unknown = get("/inspect/nobody");
    assert!(unknown.starts_with("HTTP/1.1 404 "), "{unknown}");
    assert!(unknown.contains(r#""error":"not_found""#), "{unknown}");
    let bad = get("/inspect/session-app?after=soon");
    assert!(bad.starts_with("HTTP/1.1 400 "), "{bad}");
    let down = get("/inspect/session-app");
    assert!(down.starts_with("HTTP/1.1 503 "), "{down}");
    assert!(down.contains("is the server running?"), "{down}");
}
