//! Black-box tests of the resource server over real HTTP, in front of a real
//! jwt-app or session-app started in-process from their own `app()`, one
//! file per concept.

#![allow(clippy::unwrap_used)]

mod bad_input;
mod helpers;
mod jwt_denylist;
mod jwt_keys;
mod jwt_mode;
mod openapi;
mod roles;
mod session_mode;
mod workshop;
