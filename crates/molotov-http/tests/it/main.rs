//! Integration tests: the client over real sockets against the bundled `molotov-target` and a
//! tiny scripted server, one behaviour per test.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

mod bodies;
mod compression;
mod cookies;
mod failures;
mod hostile;
mod keep_alive;
mod redirects;
mod requests;
mod responses;
mod size;
mod streaming;
mod support;
mod timeouts;
mod tls;
