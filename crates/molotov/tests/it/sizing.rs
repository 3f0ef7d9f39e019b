//! `--sizing`: workers ramp up until the failure ratio goes over the tolerance, against a
//! server that refuses requests past a given concurrency (`/limit/{n}`).

use std::time::Duration;

use crate::support::{target, testbed};

/// Runs the `limited` scenario (4 requests at once, each held 20 ms) with `args`.
fn sized(processes: &str, workers: &str) -> (crate::support::Finished, serde_json::Value) {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("limited")
        .env("TESTBED_LIMIT", "4")
        .env("TESTBED_DELAY_MS", "20")
        .args(["--sizing", "--sizing-tolerance", "5", "-p", processes])
        .args(["-w", workers, "--ramp-up", "3", "-d", "60", "-c"])
        .run_with_results();
    assert_eq!(
        server.requests(),
        results["successes"].as_u64().unwrap() + results["failures"].as_u64().unwrap()
    );
    (run, results)
}

#[test]
fn sizing_stops_when_the_failure_ratio_exceeds_the_tolerance() {
    let (run, results) = sized("1", "12");
    run.code(0).stdout_has(&[
        "Sizing is over: a failure ratio of",
        "(tolerance 5.00 %)",
        "Stopped: the sizing tolerance was reached",
    ]);
    assert!(run.elapsed < Duration::from_secs(20), "{run}");
    assert_eq!(results["stop"], "sizing");
    let reached = &results["sizing"]["reached"];
    let workers = reached["workers"].as_u64().unwrap();
    // The server takes 4 at once: the ratio goes over 5 % once a 5th worker runs (the ratio
    // trails the ramp-up by up to its window).
    assert!((5..=12).contains(&workers), "{results}");
    assert!(reached["ratio"].as_f64().unwrap() > 5.0, "{results}");
    assert!(results["failures"].as_u64().unwrap() > 0);
}

#[test]
fn sizing_is_global_across_processes() {
    let (run, results) = sized("2", "6");
    run.code(0)
        .stdout_has(&["Sizing is over", "in 2 processes"]);
    assert!(run.elapsed < Duration::from_secs(20), "{run}");
    assert_eq!(results["stop"], "sizing");
    let workers = results["sizing"]["reached"]["workers"].as_u64().unwrap();
    assert!((5..=12).contains(&workers), "{results}");
}

#[test]
fn an_all_failing_window_is_a_ratio_of_100_not_a_crash() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["--sizing", "-w", "2", "--ramp-up", "0.1", "-d", "30", "-c"])
        .run();
    run.code(0)
        .stdout_has(&["a failure ratio of 100.00 %", "with 2 workers running"])
        .no_panic();
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
}

#[test]
fn a_run_that_ends_before_the_tolerance_says_so() {
    let server = target();
    let run = testbed()
        .at(&server)
        .args(["--sizing", "-w", "2", "--ramp-up", "0.2", "-d", "1.5", "-c"])
        .run();
    run.code(0).stdout_has(&[
        "Sizing was not finished (the duration (-d) was reached): the failure ratio stayed within 5.00 %",
    ]);
}

#[test]
fn sizing_defaults_to_500_workers_over_5_minutes_and_checks_its_tolerance() {
    let server = target();
    // Interrupted early by -d: the ramp-up has started a worker every 0.6 s.
    let run = testbed()
        .at(&server)
        .args(["--sizing", "-d", "2", "-c"])
        .run();
    run.code(0);
    // The deadline, plus the time to stop the workers and tear them down on a busy machine.
    let ran: f64 = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Ran for "))
        .and_then(|l| l.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no 'Ran for' line: {run}"));
    assert!((2.0..3.5).contains(&ran), "{run}");
    let started: u64 = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Ran for "))
        .and_then(|l| l.split(" with ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((3..=5).contains(&started), "{run}");
    for bad in ["0", "100", "-1"] {
        let run = testbed()
            .args(["--sizing", "--sizing-tolerance", bad, "-r", "1"])
            .run();
        run.code(2);
        assert!(run.one_error_line().contains("--sizing-tolerance"), "{run}");
    }
}
