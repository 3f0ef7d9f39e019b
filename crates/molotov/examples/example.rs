//! Molotov's first documented example in Rust: a global setup that builds shared headers, a
//! per-worker setup that sends them, teardowns that print (one active scenario of three).
//!
//! `MOLOTOV_TARGET` is the server (default `http://127.0.0.1:8080`).

#![allow(
    clippy::print_stdout,
    reason = "example fixtures print, as Molotov's examples do"
)]

use std::sync::{LazyLock, Mutex};

use molotov::http::{HeaderName, HeaderValue};
use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

/// Filled by `global_setup`, read by every worker's `setup`.
static HEADERS: Mutex<Vec<(&str, &str)>> = Mutex::new(Vec::new());

#[global_setup]
fn init_test(_info: &RunInfo) -> Result<(), BoxError> {
    HEADERS
        .lock()
        .map_err(|_| "poisoned")?
        .push(("someheader", "1"));
    Ok(())
}

#[global_teardown]
fn end_test(_info: &RunInfo) -> Result<(), BoxError> {
    println!("This is the end");
    Ok(())
}

#[setup]
async fn init_worker(_worker: usize, _info: RunInfo) -> SetupResult {
    let mut options = SessionOptions::default();
    options
        .headers
        .insert("anotherheader", HeaderValue::from_static("1"));
    for (name, value) in HEADERS.lock().map_err(|_| "poisoned")?.iter() {
        options.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    Ok(Some(options))
}

#[teardown]
fn end_worker(worker: usize) -> Result<(), BoxError> {
    println!("This is the end for {worker}");
    Ok(())
}

#[scenario(weight = 30)]
async fn scenario_two(session: Session) -> ScenarioResult {
    let response = session.get(&API).send().await?;
    ensure!(response.status() == 200);
    Ok(())
}

fn main() -> std::process::ExitCode {
    molotov::main(molotov::plan![
        init_test,
        end_test,
        init_worker,
        end_worker,
        scenario_two
    ])
}
