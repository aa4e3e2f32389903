//! Black-box tests of jwt-app over real HTTP, one file per concept.

#![allow(clippy::unwrap_used)]

mod admin;
mod backends;
mod bearer;
mod contract;
mod cookie;
mod cookie_tossing;
mod cross_site;
mod database_outage;
mod denylist;
mod eddsa;
mod expiry;
mod forgery;
mod health;
mod helpers;
mod idle_timeout;
mod jwks;
mod keys;
mod lifecycle;
mod login;
mod login_race;
mod logout;
mod openapi;
mod redis_outage;
mod redis_store;
mod refresh;
mod stats;
