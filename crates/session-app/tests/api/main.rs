//! Black-box tests of session-app: the real router on an ephemeral port, over HTTP.
#![allow(clippy::unwrap_used)]

mod backends;
mod contract;
mod cookie;
mod csrf;
mod database_fault;
mod helpers;
mod logout;
mod redis;
mod restart;
mod store_suite;
