//! The workshop pages in headless Chromium: what the browser holds, what an
//! injected script steals, what another site's page can make the browser
//! send, that server strings render as text, and that the pages show what the
//! server says and what was measured.
#![allow(clippy::unwrap_used)]

mod attacker_page;
mod csp;
mod logins;
mod pages;
mod servers;
mod spa;
mod stored_xss;
mod truth;
mod workshop_page;
mod workshop_script;
