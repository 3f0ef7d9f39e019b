//! Molotov's quickstart in Rust: two scenarios, picked 40% and 60% of the time.
//!
//! ```text
//! molotov-target --port 8080 &
//! cargo run --release --example hello -- -w 10 -d 5
//! ```
//! `MOLOTOV_TARGET` changes the server (default `http://127.0.0.1:8080`).

use std::sync::LazyLock;

use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

#[scenario(weight = 40)]
async fn scenario_one(session: Session) -> ScenarioResult {
    let response = session.get(&API).send().await?;
    let body: serde_json::Value = response.json()?;
    ensure!(body["result"] == "OK", "unexpected body {body}");
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

#[scenario(weight = 60)]
async fn scenario_two(session: Session) -> ScenarioResult {
    let response = session.get(&API).send().await?;
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

fn main() -> std::process::ExitCode {
    molotov::main(molotov::plan![scenario_one, scenario_two])
}
