//! The spa binary as `just run-spa` starts it: the port it is given (0: any
//! free one), the address it prints, the page it serves.
//!
//! Being an integration test also makes `cargo test --workspace` build this
//! binary, which the workshop test (compare/tests/workshop.rs) starts: cargo
//! builds a package's binaries only for its integration tests.

use contract_client::page_binary::PageBinary;

const PAGE: &str = include_str!("../src/page/index.html");

#[test]
fn serves_the_page_on_the_port_it_prints() {
    let running = PageBinary::start(
        env!("CARGO_BIN_EXE_spa"),
        "SPA_PORT",
        &[],
        "single-page app on http://",
    );
    let response = running.get("/?credential=session");
    assert!(
        response.starts_with("HTTP/1.1 200 "),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    assert!(response.ends_with(PAGE), "the body is not the page");
}
