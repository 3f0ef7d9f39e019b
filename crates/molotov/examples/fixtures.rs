//! Every fixture, in the order Molotov calls them, with a synchronous request in
//! `global_setup` (Molotov's `json_request`) and session options returned by `setup`.
//!
//! `MOLOTOV_TARGET` is the server (default `http://127.0.0.1:8080`).

#![allow(
    clippy::print_stdout,
    reason = "example fixtures print, as Molotov's examples do"
)]

use std::sync::LazyLock;

use molotov::http::{HeaderValue, Method, Request};
use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

/// An object attached to each session, as Molotov's docs attach one with `get_context`.
struct SomeObject {
    worker: usize,
}

#[global_setup]
fn init_test(info: &RunInfo) -> Result<(), BoxError> {
    let url = API.parse()?;
    let response =
        molotov::blocking_request(Request::new(Method::GET, url), SessionOptions::default())?;
    info.vars.set(
        "SomeHeader",
        response.json()?["result"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
    );
    info.vars.set("endpoint", format!("{}/echo", API.as_str()));
    println!("global_setup: the server says {}", response.text());
    Ok(())
}

#[setup]
async fn init_worker(worker: usize, info: RunInfo) -> SetupResult {
    let mut options = SessionOptions::default();
    let some = info
        .vars
        .get::<String>("SomeHeader")
        .map_or_else(String::new, |s| (*s).clone());
    options
        .headers
        .insert("anotherheader", HeaderValue::from_static("1"));
    options
        .headers
        .insert("someheader", HeaderValue::from_str(&some)?);
    println!("setup: worker {worker}");
    Ok(Some(options))
}

#[setup_session]
async fn init_session(worker: usize, session: Session) -> Result<(), BoxError> {
    session.context().insert(SomeObject { worker });
    Ok(())
}

#[scenario(weight = 100)]
async fn scenario_one(session: Session) -> ScenarioResult {
    let endpoint = session
        .vars()
        .get::<String>("endpoint")
        .ok_or("no endpoint")?;
    let response = session.get(&endpoint).send().await?;
    let echoed: serde_json::Value = response.json()?;
    ensure!(
        echoed["headers"]["someheader"] == "OK",
        "the setup headers were not sent: {echoed}"
    );
    ensure!(response.status() == 200);
    Ok(())
}

#[teardown_session]
async fn end_session(worker: usize, session: Session) -> Result<(), BoxError> {
    let object = session
        .context()
        .get::<SomeObject>()
        .ok_or("no object attached")?;
    println!(
        "teardown_session: worker {worker} (object of worker {})",
        object.worker
    );
    Ok(())
}

#[teardown]
fn end_worker(worker: usize) -> Result<(), BoxError> {
    println!("This is the end for {worker}");
    Ok(())
}

#[global_teardown]
fn end_test(_info: &RunInfo) -> Result<(), BoxError> {
    println!("This is the end of the test.");
    Ok(())
}

fn main() -> std::process::ExitCode {
    molotov::main(molotov::plan![
        init_test,
        init_worker,
        init_session,
        scenario_one,
        end_session,
        end_worker,
        end_test
    ])
}
