//! A load test for the command line's own tests: what it runs is chosen by environment
//! variables, so one binary covers every case.
//!
//! - `MOLOTOV_TARGET`: the server (default `http://127.0.0.1:8080`).
//! - `TESTBED_SCENARIOS`: comma-separated scenarios to define (default `ok`):
//!   - `ok`: `GET /`, expects 200;
//!   - `fail`: `GET /status/500`, fails with an error that has a cause;
//!   - `slow`: `GET /delay/{TESTBED_DELAY_MS}` (default 20000), expects 200;
//!   - `limited`: `GET /limit/{TESTBED_LIMIT}?hold={TESTBED_DELAY_MS}`, expects 200 (the
//!     server refuses requests past that many at once);
//!   - `panic`: panics;
//!   - `crash`: worker 0 aborts its whole process; the others do what `ok` does;
//!   - `chatty`: prints `scenario W.S` (worker, step), then does what `ok` does, but fails
//!     its second run;
//!   - `busy`: keeps its thread busy for 5 ms (a scenario all CPU), then does what `ok` does.
//!
//! `ok` also checks that the variable `global_setup` sets is visible (in every process).
//! - `TESTBED_FAIL`: a fixture that fails (`global_setup`, `setup`, `setup_session`,
//!   `teardown_session`, `teardown`, `global_teardown`).
//! - `TESTBED_PANIC`: a fixture that panics (the same names).
//! - `TESTBED_PRINT=1`: every fixture prints `fixture: NAME` (and the worker) when called;
//!   `TESTBED_PRINT=2` also writes `stderr: NAME` (and the worker) to stderr.
//! - `TESTBED_GLOBAL_SETUP_MS`: `global_setup` takes this long (after printing).
//! - `TESTBED_TAIL`: `global_teardown` prints this, with no newline after it.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the fixtures print their calls for the tests to check"
)]

use std::fmt;
use std::sync::LazyLock;

use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

static DELAY_MS: LazyLock<u64> = LazyLock::new(|| {
    std::env::var("TESTBED_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
});

/// A failure with a cause, to check that `-v` shows the chain.
#[derive(Debug)]
struct StatusError {
    status: u16,
    source: std::io::Error,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the server answered {}", self.status)
    }
}

impl std::error::Error for StatusError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

async fn ok(session: Session) -> ScenarioResult {
    ensure!(
        session.vars().get::<u32>("from_global_setup").as_deref() == Some(&42),
        "global_setup's variable is not visible"
    );
    let response = session.get(&format!("{}/", API.as_str())).send().await?;
    ensure!(response.status() == 200, "status was {}", response.status());
    // With --statsd, a metric of the load test's own.
    if let Some(statsd) = molotov::statsd(&session) {
        statsd.incr("testbed.ok");
    }
    Ok(())
}

async fn fail(session: Session) -> ScenarioResult {
    let response = session
        .get(&format!("{}/status/500", API.as_str()))
        .send()
        .await?;
    Err(Box::new(StatusError {
        status: response.status().as_u16(),
        source: std::io::Error::other("the testbed expected a failure"),
    }))
}

async fn limited(session: Session) -> ScenarioResult {
    let limit = std::env::var("TESTBED_LIMIT").unwrap_or_else(|_| "4".to_owned());
    let url = format!("{}/limit/{limit}?hold={}", API.as_str(), *DELAY_MS);
    let response = session.get(&url).send().await?;
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

async fn slow(session: Session) -> ScenarioResult {
    let url = format!("{}/delay/{}", API.as_str(), *DELAY_MS);
    let response = session.get(&url).send().await?;
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

async fn crash(session: Session) -> ScenarioResult {
    if session.worker_id() == 0 {
        std::process::abort();
    }
    ok(session).await
}

async fn chatty(session: Session) -> ScenarioResult {
    let step = session.context().step();
    println!("scenario {}.{step}", session.worker_id());
    let response = session.get(&format!("{}/", API.as_str())).send().await?;
    ensure!(step != 2, "chatty fails at step 2");
    ensure!(response.status() == 200, "status was {}", response.status());
    Ok(())
}

async fn busy(session: Session) -> ScenarioResult {
    let spin = std::time::Instant::now();
    while spin.elapsed() < std::time::Duration::from_millis(5) {
        std::hint::spin_loop();
    }
    ok(session).await
}

#[allow(clippy::unused_async, reason = "a scenario is an async fn")]
async fn panics(_session: Session) -> ScenarioResult {
    panic!("the testbed panics on purpose");
}

/// Prints the call if asked to, and fails if this is the fixture asked to fail.
fn fixture(name: &str, worker: Option<usize>) -> Result<(), BoxError> {
    let print = std::env::var("TESTBED_PRINT").unwrap_or_default();
    if print == "1" || print == "2" {
        let worker = worker.map(|w| format!(" {w}")).unwrap_or_default();
        println!("fixture: {name}{worker}");
        if print == "2" {
            eprintln!("stderr: {name}{worker}");
        }
    }
    if name == "global_setup" {
        if let Some(ms) = std::env::var("TESTBED_GLOBAL_SETUP_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            #[allow(
                clippy::disallowed_methods,
                reason = "global_setup is synchronous and runs before any worker"
            )]
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    assert!(
        std::env::var("TESTBED_PANIC")
            .ok()
            .is_none_or(|v| v != name),
        "{name} panics on purpose"
    );
    if std::env::var("TESTBED_FAIL").is_ok_and(|v| v == name) {
        return Err(format!("{name} fails on purpose").into());
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let chosen = std::env::var("TESTBED_SCENARIOS").unwrap_or_else(|_| "ok".to_owned());
    let mut plan = Plan::new();
    for name in chosen.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let scenario = match name {
            "ok" => Scenario::new("ok", ok),
            "fail" => Scenario::new("fail", fail),
            "slow" => Scenario::new("slow", slow),
            "limited" => Scenario::new("limited", limited),
            "panic" => Scenario::new("panic", panics),
            "crash" => Scenario::new("crash", crash),
            "chatty" => Scenario::new("chatty", chatty),
            "busy" => Scenario::new("busy", busy),
            other => panic!("TESTBED_SCENARIOS: unknown scenario {other:?}"),
        };
        plan = plan.scenario(scenario);
    }
    let plan = plan
        .global_setup(|info| {
            info.vars.set("from_global_setup", 42u32);
            fixture("global_setup", None)
        })
        .setup(|worker, _| async move { fixture("setup", Some(worker)).map(|()| None) })
        .setup_session(|worker, _| async move { fixture("setup_session", Some(worker)) })
        .teardown_session(|worker, _| async move { fixture("teardown_session", Some(worker)) })
        .teardown(|worker| fixture("teardown", Some(worker)))
        .global_teardown(|_| {
            if let Ok(tail) = std::env::var("TESTBED_TAIL") {
                print!("{tail}");
            }
            fixture("global_teardown", None)
        });
    molotov::main(plan)
}
