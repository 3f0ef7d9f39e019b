//! End-to-end tests of the command line: the example load tests run as real processes against
//! an in-process `molotov_target::Target`, observed through their exit code, their output, the
//! `--json` results and the server's own counters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "test code: a failed unwrap is a failed test, and polling with a deadline sleeps"
)]

mod cli;
mod config;
mod console;
mod counts;
mod dashboard;
mod durations;
mod examples;
mod exit_codes;
mod export;
mod generator;
mod grace;
mod limits;
mod open_model;
mod ordering;
mod output;
mod pacing;
mod percentiles;
mod processes;
mod shards;
mod sizing;
mod statsd;
mod stopping;
mod support;
mod thresholds;
mod url;
