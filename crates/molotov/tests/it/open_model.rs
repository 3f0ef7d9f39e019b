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

/// The open model's top-level fields of `--json` results (short enough to show on failure).
fn open_fields(results: &serde_json::Value) -> serde_json::Value {
    let fields = [
        "target_rate",
        "scheduled",
        "started",
        "late",
        "dropped",
        "max_lag_us",
    ];
    fields
        .iter()
        .map(|f| ((*f).to_owned(), results[*f].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The requests the server saw per `width` (a multiple of 10 ms), from the first one; the
/// last, partial bucket left out.
fn paced(server: &molotov_target::Target, width: Duration) -> Vec<u64> {
    let per = usize::try_from(width.as_millis() / 10).unwrap();
    let arrivals = server.arrivals();
    let first = arrivals.iter().position(|&n| n > 0).unwrap_or(0);
    let chunks = arrivals[first..].chunks_exact(per);
    chunks.map(|c| c.iter().sum()).collect()
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
    let a = &open_fields(&results);
    assert_eq!(a["started"], sent, "{a}");
    assert_eq!(a["scheduled"], a["started"], "{a}");
    assert_eq!(a["dropped"], 0);
    // Runs start on time: a timer that fired late would make them late by a millisecond.
    assert!(a["late"].as_u64().unwrap() <= 20, "{a}");
    let lag = &results["start_lag"];
    assert_eq!(lag["count"], sent);
    assert!(lag["p99_us"].as_u64().unwrap() < 5_000, "{}", lag["p99_us"]);
    assert!((a["target_rate"].as_f64().unwrap() - 200.0).abs() < 1.0);
    run.stdout_has(&[
        "Arrivals: 200 runs/s scheduled",
        "Latencies count from when each run was due",
    ]);
    // Even arrivals: no 100 ms over twice the mean (20), none under half of it.
    let buckets = paced(&server, Duration::from_millis(100));
    assert!(buckets.len() >= 45, "{buckets:?}");
    assert!(
        buckets.iter().all(|&n| (10..=40).contains(&n)),
        "{buckets:?}"
    );
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
    assert_eq!(results["started"], sent, "{}", results["arrivals"]);
    assert_eq!(results["successes"], sent);
    // Striped, not two bursts: 100 ms hold 20 requests, as from one process.
    let buckets = paced(&server, Duration::from_millis(100));
    assert!(
        buckets.iter().all(|&n| (10..=40).contains(&n)),
        "{buckets:?}"
    );
    assert!((results["target_rate"].as_f64().unwrap() - 200.0).abs() < 1.0);
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
    let a = &open_fields(&results);
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
fn thresholds_hold_a_run_to_its_schedule_in_one_process_and_in_two() {
    let server = target();
    for processes in ["1", "2"] {
        let (run, results) = molotov()
            .args(["--rate", "100", "-d", "2", "-c", "-p", processes])
            .args([
                "--threshold",
                "dropped == 0",
                "--threshold",
                "started > 99%",
            ])
            .args(["--threshold", "late < 5%", "--threshold", "lag.max < 500ms"])
            .args(["--threshold", "started.count > 1000"])
            .arg(server.url("/"))
            .run_with_results();
        run.code(99).no_panic().stdout_has(&[
            "Thresholds: 1 of 5 failed (exit code 99)",
            "✓ dropped == 0   0 (limit == 0)",
            "✓ started > 99%   100 % (limit > 99 %)",
            "✓ late < 5%",
            "✓ lag.max < 500ms",
            "✗ started.count > 1000   ",
        ]);
        let verdicts = results["thresholds"].as_array().unwrap();
        assert_eq!(
            verdicts[4]["value"].as_f64(),
            results["started"].as_f64(),
            "-p {processes}"
        );
        let max_lag = results["max_lag_us"].as_f64().unwrap();
        let shown = verdicts[3]["value"].as_f64().unwrap();
        // The histogram's largest value, to its precision (0.1 %).
        assert!(
            (shown - max_lag).abs() <= max_lag * 0.001 + 1.0,
            "{shown} {max_lag}"
        );
    }
    // Read back by molotov-report, with the start lags' histogram.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open.json");
    molotov()
        .args([
            "--rate",
            "50",
            "-d",
            "1",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ])
        .arg(server.url("/"))
        .run()
        .code(0);
    let run = Molotov::binary(env!("CARGO_BIN_EXE_molotov-report"))
        .arg(&path)
        .args(["--threshold", "dropped == 0", "--threshold", "lag.p99 < 1s"])
        .args(["--threshold", "started.count >= 45"])
        .run();
    run.code(0).stdout_has(&["Thresholds: all passed"]);
    // A file that says more runs were late than started, and fewer scheduled than started,
    // is put back in shape: no share over 100 %, none passing because of a bogus count.
    let mut hostile = crate::support::read_json(&path);
    let started = hostile["started"].as_u64().unwrap();
    hostile["late"] = (started * 10).into();
    hostile["scheduled"] = 0.into();
    std::fs::write(&path, hostile.to_string()).unwrap();
    let merged = dir.path().join("merged.json");
    let run = Molotov::binary(env!("CARGO_BIN_EXE_molotov-report"))
        .arg(&path)
        .args(["--json", merged.to_str().unwrap()])
        .args([
            "--threshold",
            "late <= 100%",
            "--threshold",
            "started <= 100%",
        ])
        .run();
    run.code(0).stdout_has(&["Thresholds: all passed"]);
    let merged = crate::support::read_json(&merged);
    assert_eq!(merged["late"].as_u64(), Some(started), "{merged}");
    assert!(merged["scheduled"].as_u64() >= Some(started), "{merged}");
}

#[test]
fn a_server_that_falls_behind_the_schedule_stops_the_run_with_an_abort_threshold() {
    let server = target();
    // 20 runs a second of 200 ms each need 4 workers; with 1 (per process), runs are dropped,
    // or wait and start late, from the first second.
    for (processes, options, threshold) in [
        ("1", &["--drop-late"][..], "dropped == 0 abort"),
        ("2", &["--drop-late"][..], "dropped < 1% abort"),
        ("1", &[][..], "lag.p99 < 50ms abort"),
        ("2", &[][..], "late.count == 0 abort"),
    ] {
        let (run, results) = molotov()
            .args([
                "--rate",
                "20",
                "-d",
                "60",
                "--max-workers",
                "1",
                "-q",
                "-p",
                processes,
            ])
            .args(options)
            .args(["--threshold", threshold])
            .arg(server.url("/delay/200"))
            .run_with_results();
        run.code(99).no_panic();
        assert_eq!(results["stop"], "threshold", "{threshold}, -p {processes}");
        let elapsed = results["elapsed_seconds"].as_f64().unwrap();
        assert!(
            elapsed < 15.0,
            "{threshold}, -p {processes}: ran {elapsed} s"
        );
        assert_eq!(results["thresholds"][0]["passed"], false);
    }
}

#[test]
fn a_run_that_keeps_its_schedule_is_never_stopped_by_its_live_thresholds() {
    let server = target();
    // A low rate: one run waiting for its worker at an evaluation would be a tenth of the
    // runs due; only a run late by more than a millisecond is missing.
    for processes in ["1", "2"] {
        let (run, results) = molotov()
            .args(["--rate", "5", "-d", "5", "-q", "-p", processes])
            .args([
                "--threshold",
                "started >= 99% abort",
                "--threshold",
                "dropped == 0 abort",
            ])
            .args(["--threshold", "lag.p99 < 500ms abort"])
            .arg(server.url("/"))
            .run_with_results();
        run.code(0).no_panic();
        // It lasts its duration, as a closed run does (not until its last run ends).
        assert_eq!(results["stop"], "deadline", "-p {processes}: {run}");
        let elapsed = results["elapsed_seconds"].as_f64().unwrap();
        assert!(
            (5.0..5.5).contains(&elapsed),
            "-p {processes}: ran {elapsed} s"
        );
        // 5 s at 5 a second, less the workers' setup before the schedule starts (under 0.2 s).
        let scheduled = results["scheduled"].as_u64().unwrap();
        assert!(
            (24..=25).contains(&scheduled),
            "-p {processes}: {scheduled}"
        );
        assert_eq!(results["dropped"], 0, "-p {processes}");
    }
}

#[test]
fn the_open_models_thresholds_are_refused_in_the_closed_model() {
    let server = target();
    for threshold in ["late < 1%", "dropped == 0", "lag.p99 < 1ms"] {
        let run = molotov()
            .args(["-w", "1", "-d", "1", "--threshold", threshold])
            .arg(server.url("/"))
            .run();
        run.code(2);
        let line = run.one_error_line();
        assert!(
            line.contains("measures the open model's runs: add --rate or --rate-stages"),
            "{threshold}: {line}"
        );
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn the_line_console_shows_the_rate_and_the_late_runs() {
    let server = target();
    // 50 runs a second of 100 ms need 5 workers; with 2, runs are late. Without a terminal the
    // footer is a line every 5 s.
    let run = molotov()
        .args(["--rate", "50", "-d", "6", "--max-workers", "2", "-c"])
        .arg(server.url("/delay/100"))
        .run();
    run.code(0).no_panic();
    let footer = run
        .stdout
        .lines()
        .find(|l| l.starts_with("SUCCESS: "))
        .unwrap_or_else(|| panic!("no footer line\n{run}"));
    assert!(
        footer.contains("RATE: ") && footer.contains("/s of 50/s"),
        "{footer}"
    );
    assert!(footer.contains("LATE: "), "{footer}");
}

#[test]
fn workers_are_added_up_to_what_the_rate_needs() {
    let server = target();
    let (run, results) = molotov()
        .args(["--rate", "50", "-d", "2", "--max-workers", "20", "-c"])
        .arg(server.url("/delay/100"))
        .run_with_results();
    run.code(0).no_panic();
    // 50 runs a second of 100 ms each: about 5 at once.
    let workers = results["max_workers"].as_u64().unwrap();
    assert!((5..=9).contains(&workers), "{workers} workers\n{run}");
    assert!(
        results["late"].as_u64().unwrap() <= 5,
        "{}",
        results["arrivals"]
    );
}

#[test]
fn rate_stages_follow_their_profile_and_end_the_run() {
    let server = target();
    // 0 to 200 per second over 2 s, 200 for 2 s, down to 0 over 2 s; no -d: the run ends
    // with the stages.
    let (run, results) = molotov()
        .args([
            "--rate-stages",
            "2s:200,2s:200,2s:0",
            "--max-workers",
            "10",
            "-c",
        ])
        .arg(server.url("/"))
        .run_with_results();
    run.code(0).no_panic();
    assert_eq!(server.requests_to("/"), 800, "{run}");
    // It lasts the stages' 6 s (not until its last run, a little before), at their average.
    let elapsed = results["elapsed_seconds"].as_f64().unwrap();
    assert!((6.0..6.5).contains(&elapsed), "ran {elapsed} s");
    let target = results["target_rate"].as_f64().unwrap();
    assert!((target - 800.0 / 6.0).abs() < 0.5, "{target}");
    let seconds = paced(&server, Duration::from_secs(1));
    let profile = [50, 150, 200, 200, 150, 50];
    for (second, (&got, &want)) in seconds.iter().zip(&profile).enumerate() {
        assert!(
            close_to(got, want, 0.05),
            "second {second}: {seconds:?}, not {profile:?}"
        );
    }
    assert!(run.elapsed < Duration::from_secs(15), "{run}");
}

#[test]
fn closed_stages_follow_their_profile_and_end_the_run() {
    let server = target();
    // From 1 worker to 4 over 1 s, 4 for 2 s, down to 0 over 1 s; a run takes 50 ms.
    let (run, results) = molotov()
        .args(["--stages", "1s:4,2s:4,1s:0", "-c"])
        .arg(server.url("/delay/50"))
        .run_with_results();
    run.code(0).no_panic();
    assert_eq!(results["max_workers"], 4);
    let elapsed = results["elapsed_seconds"].as_f64().unwrap();
    assert!((3.9..5.0).contains(&elapsed), "{elapsed}");
    assert!(results.get("scheduled").is_none(), "closed model");
    // 20 runs a second per worker: workers round(1 + 3t) average 2.5 over the first second,
    // 4 on the plateau, round(4 - 4t) average 2 over the last.
    let seconds = paced(&server, Duration::from_secs(1));
    let profile = [50, 80, 80, 40];
    for (second, (&got, &want)) in seconds.iter().zip(&profile).enumerate() {
        assert!(
            close_to(got, want, 0.05),
            "second {second}: {seconds:?}, not {profile:?}"
        );
    }
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
