//! Events: an "extension" that measures the average response time from the
//! `sending_request` and `response_received` events (Molotov's example6), and prints the
//! concurrency seen through `current_workers`.
//!
//! `MOLOTOV_TARGET` is the server (default `http://127.0.0.1:8080`).

#![allow(
    clippy::print_stdout,
    reason = "example fixtures print, as Molotov's examples do"
)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;
use std::time::Instant;

use molotov::prelude::*;

static API: LazyLock<String> = LazyLock::new(|| {
    std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
});

#[scenario(weight = 100)]
async fn scenario_one(session: Session) -> ScenarioResult {
    let response = session.get(&API).send().await?;
    ensure!(response.status() == 200);
    Ok(())
}

/// Start times by request (the address of the request, as Molotov's example keys a dict by
/// the request object), and the durations measured.
#[derive(Default)]
struct Timings {
    started: HashMap<usize, Instant>,
    durations_ms: Vec<f64>,
    concurrency: Vec<usize>,
}

fn main() -> std::process::ExitCode {
    let timings = Rc::new(RefCell::new(Timings::default()));
    let recorder = timings.clone();
    let listener = move |event: &Event<'_>| -> Result<(), BoxError> {
        let mut t = recorder.borrow_mut();
        match *event {
            Event::SendingRequest { request, .. } => {
                t.started
                    .insert(std::ptr::from_ref(request) as usize, Instant::now());
            }
            Event::ResponseReceived { request, .. } => {
                if let Some(start) = t.started.remove(&(std::ptr::from_ref(request) as usize)) {
                    t.durations_ms.push(start.elapsed().as_secs_f64() * 1000.0);
                }
            }
            Event::CurrentWorkers { workers } => t.concurrency.push(workers),
            _ => {}
        }
        Ok(())
    };
    let report = timings.clone();
    let plan = molotov::plan![scenario_one]
        .listener(listener)
        .global_teardown(move |_| {
            let t = report.borrow();
            if !t.durations_ms.is_empty() {
                let average = t.durations_ms.iter().sum::<f64>() / t.durations_ms.len() as f64;
                println!("\nAverage response time {average:.2}ms");
            }
            println!("Concurrency samples: {:?}", t.concurrency);
            Ok(())
        });
    molotov::main(plan)
}
