//! Under CI a missing service (Redis, PostgreSQL, MariaDB) is a failure; on a
//! laptop it is a loud skip, so that `cargo test` works with only Rust installed.

/// `CI=true` (or `1`), as CI services set it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A service a test needs is missing: under CI that fails the test; elsewhere
/// the test is skipped, with a line on stderr that is hard to miss.
pub fn skip_or_fail(what: &str) {
    if in_ci() {
        panic!("{what}: under CI=true a missing service is a failure, not a skip");
    }
    // Straight to the process' stderr: `eprintln!` would be captured by the
    // test harness and shown only for a failing test, and a skip passes.
    // The harness names each test's thread after the test.
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .map_or(String::new(), |n| format!("{n}: "));
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}{what} (CI=true would fail)"
    );
}
