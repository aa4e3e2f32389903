//! Black-box tests of session-app: the real router on an ephemeral port, over HTTP.
#![allow(clippy::unwrap_used)]

mod contract;
mod cookie;
mod cross_site;
mod csrf;
mod database_outage;
mod help;
mod helpers;
mod inspector;
mod introspection;
mod lifecycle;
mod local_only;
mod openapi;
mod port_in_use;
mod processes;
mod proxy;
mod redis;
mod request_log;
mod restart;
mod revival;
mod role;
mod serving;
mod start_together;
mod store_suite;
mod timing;
mod up_script;
