//! How busy the load generator is: a load test that keeps its thread busy is told so as it
//! happens and in the summary, and its results count the saturated seconds, with one process
//! and several; one that mostly waits for the network is not. What the threshold is measured
//! against (the thread's time running and waiting for a core, from Linux's counts) only exists
//! on Linux.

#![cfg(target_os = "linux")]

use crate::support::{target, testbed};

#[test]
fn a_load_test_that_keeps_its_thread_busy_is_told_so_live_and_in_its_results() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let (run, results) = testbed()
        .at(&server)
        .scenarios("busy")
        // Four workers: while one spins, the others' requests come back, so the thread never
        // waits for the network.
        .args(["-w", "4", "-d", "3", "--html", html.to_str().unwrap()])
        // The figures a CI job can hold a run to: its results are not the server's alone.
        .args(["--threshold", "generator.saturated == 0"])
        .args(["--threshold", "generator.peak >= 90%"])
        .run_with_results();
    run.code(99).no_panic();
    run.stdout_in_order(&[
        "Warning: the load generator is CPU-bound: its thread was busy",
        "Load generator: CPU-bound in ",
        "its own delays count in the latencies; spread the load over more processes (-p)",
        "Thresholds: 1 of 2 failed (exit code 99)",
        "✗ generator.saturated == 0   ",
        "✓ generator.peak >= 90%   ",
    ]);
    let g = &results["generator"];
    let saturated = g["saturated_seconds"].as_f64().unwrap();
    assert_eq!(results["thresholds"][0]["value"].as_f64(), Some(saturated));
    // Three seconds of a scenario that spins 5 ms per request: at least one whole second over
    // 90 %, however crowded the machine (time waiting for a core counts as busy).
    assert!((1.0..=3.5).contains(&saturated), "{g}\n{run}");
    assert!(g["peak"].as_f64().unwrap() >= 0.9, "{g}");
    let seconds = g["seconds"].as_f64().unwrap();
    assert!((2.5..3.5).contains(&seconds), "{g}");
    let busy = g["running_seconds"].as_f64().unwrap() + g["waiting_seconds"].as_f64().unwrap();
    assert!(busy > 0.8 * seconds && busy <= seconds * 1.05, "{g}");
    // Second by second in the timeline too.
    let intervals = results["timeline"]["intervals"].as_array().unwrap();
    let shares: Vec<f64> = intervals
        .iter()
        .filter_map(|i| i["generator_busy"].as_f64())
        .collect();
    assert!(shares.len() >= 2, "{intervals:?}");
    assert!(shares.iter().any(|&b| b >= 0.9), "{shares:?}");
    // The report says it as the summary does.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("\"warning\":\"Load generator: CPU-bound in "),
        "the report's data has the summary's words"
    );
}

#[test]
fn each_process_measures_its_own_thread_and_the_results_add_them_up() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("busy")
        // The line console's progress line comes every 5 s: it shows the busiest process.
        .args(["-w", "4", "-p", "2", "-d", "6", "-c"])
        .run_with_results();
    run.code(0).no_panic();
    run.stdout_has(&["process-seconds (busiest second", "% busy\n"]);
    let footer = run.stdout.lines().find(|l| l.starts_with("SUCCESS: "));
    assert!(footer.is_some_and(|l| l.contains(" GENERATOR: ")), "{run}");
    let g = &results["generator"];
    let seconds = g["seconds"].as_f64().unwrap();
    assert!(
        (11.0..13.5).contains(&seconds),
        "two processes' seconds: {g}"
    );
    assert!(
        g["saturated_seconds"].as_f64().unwrap() >= 2.0,
        "{g}\n{run}"
    );
}

#[test]
fn a_saturated_generator_stops_a_run_with_an_abort_threshold_from_any_process() {
    let server = target();
    for processes in ["1", "2"] {
        let started = std::time::Instant::now();
        let (run, results) = testbed()
            .at(&server)
            .scenarios("busy")
            .args(["-w", "4", "-d", "60", "-q", "-p", processes])
            .args(["--threshold", "generator.saturated == 0 abort"])
            .run_with_results();
        let took = started.elapsed();
        run.code(99).no_panic();
        assert_eq!(results["stop"], "threshold", "{run}");
        // The first saturated second is seen within the next evaluation (every 2 s), relayed
        // from the processes in a `-p` run.
        let elapsed = results["elapsed_seconds"].as_f64().unwrap();
        assert!(elapsed < 15.0, "-p {processes}: ran {elapsed} s");
        assert!(took.as_secs() < 30, "-p {processes}: took {took:?}");
    }
}

#[test]
fn a_load_test_that_waits_for_the_network_is_not() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["--rate", "20", "-d", "2"])
        .args(["--threshold", "generator.saturated == 0"])
        .args(["--threshold", "generator.busy < 50%"])
        .run_with_results();
    run.code(0)
        .no_panic()
        .stdout_has(&["Thresholds: all passed"]);
    assert!(!run.stdout.contains("CPU-bound"), "{run}");
    let g = &results["generator"];
    assert!(g["saturated_seconds"].as_f64().unwrap() < 1e-9, "{g}");
    let busy = g["running_seconds"].as_f64().unwrap() / g["seconds"].as_f64().unwrap();
    assert!(busy < 0.5, "40 requests in 2 s keep no thread busy: {g}");
}
