//! Black-box tests of jwt-app over real HTTP, one file per concept.

#![allow(clippy::unwrap_used)]

mod admin;
mod bearer;
mod contract;
mod database_fault;
mod databases;
mod eddsa;
mod expiry;
mod forgery;
mod health;
mod helpers;
mod keys;
mod login;
mod logout;
mod redis;
mod redis_fault;
mod refresh;
mod stats;
