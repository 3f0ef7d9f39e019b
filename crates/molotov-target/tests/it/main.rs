//! Integration tests: every endpoint over real TCP against an in-process `Target`, plus the
//! protocols (keep-alive, HTTP/2, TLS), the raw misbehaviours and the binary.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

mod binary;
mod counting;
mod endpoints;
mod lifecycle;
mod limit;
mod misbehaviours;
mod protocols;
mod support;
