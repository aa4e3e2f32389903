//! The workshop pages in headless Chromium: what the browser holds, what an
//! injected script steals, what another site's page can make the browser
//! send, and that server strings render as text.
#![allow(clippy::unwrap_used)]

mod attacker_page;
mod pages;
mod servers;
mod stored_xss;
