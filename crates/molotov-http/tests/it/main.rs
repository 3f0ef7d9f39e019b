//! Integration tests: the client over real sockets against the bundled `molotov-target` and a
//! tiny scripted server, one behaviour per test; and the response decoder's property,
//! differential (against hyper) and fuzz-replay tests (`harness`, `wire_*`, docs/fuzzing.md).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

mod bodies;
mod compression;
mod cookies;
mod failures;
mod harness;
mod hostile;
mod http2;
mod keep_alive;
mod redirects;
mod requests;
mod responses;
mod size;
mod streaming;
mod support;
mod timeouts;
mod tls;
mod websocket;
mod wire_damage;
mod wire_diff;
mod wire_gen;
mod wire_known;
mod wire_props;
