//! The open model from the command line (`--rate`, `--rate-stages`, `--max-workers`,
//! `--drop-late`) and the closed model's `--stages`, against the target server: the requests it
//! counted, the summary's arrivals line, the `--json` figures, one and several processes, and
//! the combinations refused.

use std::time::Duration;

use crate::support::{Molotov, target};

/// The crate's `molotov` binary (URLs only).
fn molotov() -> Molotov {
    Molotov::binary(env!("CARGO_BIN_EXE_molotov"))
}

fn close_to(value: u64, expected: u64, tolerance: f64) -> bool {
    (value as f64 - expected as f64).abs() <= expected as f64 * tolerance
}

#[test]
fn a_rate_is_kept_whatever_the_worker_count() {
    let server = target();
    let (run, results) = molotov()
        .args(["--rate", "200", "-d", "5", "-c"])
        .arg(server.url("/"))
        .run_with_results();
    run.code(0).no_panic();
    let sent = server.requests_to("/");
    assert!(
        close_to(sent, 1000, 0.01),
        "{sent} requests for 200/s over 5 s\n{run}"
    );
    let a = &results["arrivals"];
    assert_eq!(a["started"], sent, "{a}");
    assert_eq!(a["scheduled"], a["started"], "{a}");
    assert_eq!(a["dropped"], 0);
    // Runs start on time: a timer that fired late would make them late by a millisecond.
    assert!(a["late"].as_u64().unwrap() <= 20, "{a}");
    assert!((a["target_rate"].as_f64().unwrap() - 200.0).abs() < 1.0);
    run.stdout_has(&[
        "Arrivals: 200 runs/s scheduled",
        "Latencies count from when each run was due",
    ]);
    let scenario = format!("GET {}", server.url("/"));
    let entry = &results["scenarios"][&scenario];
    assert_eq!(entry["service_latency"]["count"], entry["successes"]);
}

#[test]
fn processes_share_the_rate_and_their_figures_add_up() {
    let server = target();
    let (run, results) = molotov()
        .args(["--rate", "200", "-d", "3", "-p", "2", "-c"])
        .arg(server.url("/"))
        .run_with_results();
    run.code(0).no_panic();
    let sent = server.requests_to("/");
    assert!(
        close_to(sent, 600, 0.01),
        "{sent} requests for 200/s over 3 s\n{run}"
    );
    assert_eq!(
        results["arrivals"]["started"], sent,
        "{}",
        results["arrivals"]
    );
    assert_eq!(results["successes"], sent);
    assert!((results["arrivals"]["target_rate"].as_f64().unwrap() - 200.0).abs() < 1.0);
}

#[test]
fn a_server_too_slow_for_the_workers_allowed_makes_late_runs_and_says_what_to_do() {
    let server = target();
    // 20 runs a second of 200 ms each need 4 workers; 1 is allowed.
    let (run, results) = molotov()
        .args(["--rate", "20", "-d", "2", "--max-workers", "1", "-c"])
        .arg(server.url("/delay/200"))
        .run_with_results();
    run.code(0).no_panic().stdout_has(&[
        "Every worker was busy when",
        "raise --max-workers (now 1 per process)",
    ]);
    let a = &results["arrivals"];
    assert!(a["late"].as_u64().unwrap() >= 5, "{a}");
    assert!(a["max_lag_us"].as_u64().unwrap() >= 500_000, "{a}");
    let entry = &results["scenarios"][&format!("GET {}", server.url("/delay/200"))];
    let corrected = entry["latency"]["p90_us"].as_u64().unwrap();
    let service = entry["service_latency"]["p90_us"].as_u64().unwrap();
    assert!(service < 400_000, "{service}");
    assert!(
        corrected > service + 300_000,
        "the wait is in the latency: {corrected}"
    );
}

#[test]
fn workers_are_added_up_to_what_the_rate_needs() {
    let server = target();
    let (run, results) = molotov()
        .args(["--rate", "50", "-d", "2", "-c"])
        .arg(server.url("/delay/100"))
        .run_with_results();
    run.code(0).no_panic();
    // 50 runs a second of 100 ms each: about 5 at once.
    let workers = results["max_workers"].as_u64().unwrap();
    assert!((5..=9).contains(&workers), "{workers} workers\n{run}");
    assert!(
        results["arrivals"]["late"].as_u64().unwrap() <= 5,
        "{}",
        results["arrivals"]
    );
}

#[test]
fn rate_stages_ramp_and_end_the_run() {
    let server = target();
    // From 0 to 100 per second over 2 s: 100 runs, then the run ends (no -d).
    let run = molotov()
        .args(["--rate-stages", "2s:100", "-c"])
        .arg(server.url("/"))
        .run();
    run.code(0).no_panic();
    let sent = server.requests_to("/");
    assert!(close_to(sent, 100, 0.02), "{sent}\n{run}");
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
}

#[test]
fn closed_stages_move_the_worker_count_and_end_the_run() {
    let server = target();
    let (run, results) = molotov()
        .args(["--stages", "0.5s:3,1s:3,0.5s:0", "-c"])
        .arg(server.url("/delay/10"))
        .run_with_results();
    run.code(0).no_panic();
    assert_eq!(results["max_workers"], 3);
    let elapsed = results["elapsed_seconds"].as_f64().unwrap();
    assert!((1.9..3.0).contains(&elapsed), "{elapsed}");
    assert!(results.get("arrivals").is_none(), "closed model");
}

#[test]
fn combinations_that_cannot_work_are_one_error_line() {
    let server = target();
    let cases: &[(&[&str], &str)] = &[
        (&["--rate", "0"], "rate"),
        (&["--rate", "-5"], "rate"),
        (&["--rate", "nan"], "rate"),
        (&["--rate-stages", "10s"], "stage"),
        (&["--rate-stages", "10s:-1"], "at least 0"),
        (&["--rate-stages", "0s:10"], "more than 0"),
        (&["--rate", "5", "-r", "3"], "--max-runs"),
        (&["--rate", "5", "--single-run"], "--single-run"),
        (&["--rate", "5", "--ramp-up", "2"], "--ramp-up"),
        (&["--rate", "5", "--sizing"], "--sizing"),
        (&["--rate", "5", "--delay", "1"], "--delay"),
        (&["--rate", "5", "--stages", "1s:2"], "--stages"),
        (
            &["--rate", "5", "-w", "4", "--max-workers", "2"],
            "--max-workers",
        ),
        (&["--max-workers", "5"], "--rate"),
        (&["--drop-late"], "--rate"),
        (&["--stages", "1s:2.5"], "workers"),
        (&["--stages", "1s:2", "--ramp-up", "1"], "--ramp-up"),
    ];
    for (args, named) in cases {
        let run = molotov()
            .args(["-d", "1"])
            .args(*args)
            .arg(server.url("/"))
            .run();
        run.code(2);
        let line = run.one_error_line();
        assert!(
            line.contains(named),
            "{args:?}: {line:?} should name {named:?}"
        );
    }
    assert_eq!(server.requests_to("/"), 0);
}
