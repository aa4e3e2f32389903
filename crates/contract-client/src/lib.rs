//! What the black-box tests (through test-support) and the compare harness
//! both stand on: one client of the HTTP contract, one rule for a missing
//! service under CI, one way to get a Redis, and the workspace's binaries for
//! the tests that start them.

pub mod bins;
pub mod ci;
pub mod client;
pub mod page_binary;
pub mod redis;

/// A port no one listens on now, for a private server (redis-server, postgres).
pub fn free_port() -> std::io::Result<u16> {
    // It is free again once this listener is dropped; the server takes it a
    // moment later, and a caller that loses that race tries another.
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
