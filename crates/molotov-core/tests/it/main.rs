//! Integration tests of the engine: real runs against an in-process `molotov_target::Target`
//! over real sockets, observed through the summary, the notices, listeners and the server's
//! own counters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

mod blocking;
mod events;
mod faults;
mod fixtures;
mod grace;
mod notices;
mod open_model;
mod picking;
mod run;
mod session;
mod stats;
mod stopping;
mod streaming;
mod support;
mod validation;
mod websocket;
