//! Black-box tests of session-app: the real router on an ephemeral port, over HTTP.
#![allow(clippy::unwrap_used)]

mod contract;
mod cookie;
mod csrf;
mod database_outage;
mod helpers;
mod introspection;
mod port_in_use;
mod processes;
mod redis;
mod request_log;
mod restart;
mod revival;
mod role;
mod start_together;
mod store_suite;
mod up_script;
