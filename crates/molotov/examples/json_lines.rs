//! Molotov's example8 in Rust: an event listener that prints one JSON line per scenario run
//! (start, success or failure, duration), for other tools to read.
//!
//! `MOLOTOV_TARGET` is the server (default `http://127.0.0.1:8080`).

#![allow(
    clippy::print_stdout,
    reason = "the example's output is its JSON lines"
)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

#[scenario(weight = 40)]
async fn scenario_one(session: Session) -> ScenarioResult {
    let response = session.get(&API).send().await?;
    ensure!(response.status() == 200);
    Ok(())
}

#[scenario(weight = 60)]
async fn scenario_two(session: Session) -> ScenarioResult {
    let response = session
        .get(&format!("{}/status/500", API.as_str()))
        .send()
        .await?;
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

fn main() -> std::process::ExitCode {
    let started: RefCell<HashMap<(usize, String), Instant>> = RefCell::default();
    let listener = move |event: &Event<'_>| -> Result<(), BoxError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
        match *event {
            Event::ScenarioStart { scenario, worker } => {
                started
                    .borrow_mut()
                    .insert((worker, scenario.name().to_owned()), Instant::now());
            }
            Event::ScenarioSuccess { scenario, worker } => {
                let key = (worker, scenario.name().to_owned());
                if let Some(start) = started.borrow_mut().remove(&key) {
                    let line = serde_json::json!({
                        "ts": now, "type": "scenario_success", "name": scenario.name(),
                        "duration": start.elapsed().as_millis(),
                    });
                    println!("{line}");
                }
            }
            Event::ScenarioFailure {
                scenario,
                worker,
                error,
            } => {
                let key = (worker, scenario.name().to_owned());
                if let Some(start) = started.borrow_mut().remove(&key) {
                    let line = serde_json::json!({
                        "ts": now, "type": "scenario_failure", "name": scenario.name(),
                        "exception": molotov::failure_kind(error), "errorMessage": error.to_string(),
                        "duration": start.elapsed().as_millis(),
                    });
                    println!("{line}");
                }
            }
            _ => {}
        }
        Ok(())
    };
    molotov::main(molotov::plan![scenario_one, scenario_two].listener(listener))
}
