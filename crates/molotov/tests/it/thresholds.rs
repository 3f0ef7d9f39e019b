//! `--threshold`, the timeline, `--junit`, `--html` and `molotov-report`, end to end against
//! the bundled target.

use std::time::{Duration, Instant};

use crate::support::{Molotov, read_json, target, testbed};

/// The crate's `molotov-report` binary.
fn molotov_report() -> Molotov {
    Molotov::binary(env!("CARGO_BIN_EXE_molotov-report"))
}

#[test]
fn passing_thresholds_exit_0_and_are_listed_in_one_process_and_in_two() {
    let server = target();
    for (processes, runs) in [("1", "200"), ("2", "400")] {
        let (run, results) = testbed()
            .at(&server)
            .args(["-w", "2", "-r", "100", "-c", "-p", processes])
            .args(["--threshold", "scenario.p99 < 5s"])
            .args(["--threshold", "failures < 1%"])
            .args(["--threshold", "failures.count == 0"])
            .args(["--threshold", "status[5xx] == 0"])
            .args(["--threshold", "scenario[ok].count >= 100"])
            .run_with_results();
        run.code(0).stdout_has(&[
            "Thresholds: all passed",
            "✓ scenario.p99 < 5s",
            "✓ failures < 1%   0 % (limit < 1 %)",
            &format!("✓ scenario[ok].count >= 100   {runs} (limit >= 100)"),
        ]);
        let thresholds = results["thresholds"].as_array().unwrap();
        assert_eq!(thresholds.len(), 5);
        assert!(
            thresholds.iter().all(|t| t["passed"] == true),
            "{thresholds:?}"
        );
        assert_eq!(thresholds[2]["value"], 0.0);
    }
}

#[test]
fn a_failing_threshold_exits_99_in_one_process_and_in_two() {
    let server = target();
    for processes in ["1", "2"] {
        let dir = tempfile::tempdir().unwrap();
        let junit = dir.path().join("junit.xml");
        let (run, results) = testbed()
            .at(&server)
            .scenarios("ok,fail")
            .args(["-w", "2", "-d", "1", "-c", "-p", processes])
            .args(["--threshold", "failures < 1%", "--threshold", "rate > 0"])
            .args(["--junit", junit.to_str().unwrap()])
            .run_with_results();
        run.code(99).stdout_has(&[
            "Thresholds: 1 of 2 failed (exit code 99)",
            "✗ failures < 1%",
            "✓ rate > 0",
        ]);
        let failed = &results["thresholds"][0];
        assert_eq!(failed["passed"], false, "{results}");
        let share = failed["value"].as_f64().unwrap();
        let (ok, ko) = (
            results["successes"].as_f64().unwrap(),
            results["failures"].as_f64().unwrap(),
        );
        assert!((share - ko / (ok + ko)).abs() < 1e-9, "{share} {ok} {ko}");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("<testsuite "), "{xml}");
        assert!(xml.contains("name=\"failures &lt; 1%\""), "{xml}");
        assert!(xml.contains("type=\"threshold\""), "{xml}");
        assert!(
            xml.contains("name=\"fail\""),
            "the failing scenario is a failed case: {xml}"
        );
        // The processes' timelines merged by second: every run in one interval, the workers of
        // both processes counted.
        let intervals = results["timeline"]["intervals"].as_array().unwrap();
        let runs: f64 = intervals
            .iter()
            .map(|i| i["successes"].as_f64().unwrap() + i["failures"].as_f64().unwrap())
            .sum();
        assert!((runs - (ok + ko)).abs() < 0.5, "{runs} vs {}", ok + ko);
        let workers = intervals.iter().filter_map(|i| i["workers"].as_u64()).max();
        let expected = if processes == "2" { 4 } else { 2 };
        assert_eq!(workers, Some(expected), "{intervals:?}");
    }
}

#[test]
fn no_data_fails_rather_than_passing_silently() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-r", "3", "-c"])
        .args(["--threshold", "scenario.p95 < 1s"])
        .args(["--threshold", "request[GET /never].max < 1s"])
        .run();
    run.code(99).stdout_has(&[
        "✗ scenario.p95 < 1s   no data",
        "✗ request[GET /never].max < 1s   no data",
    ]);
}

#[test]
fn an_abort_threshold_stops_a_long_run_early() {
    let server = target();
    let started = Instant::now();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-w", "2", "-d", "60", "-c"])
        .args(["--threshold", "failures.count == 0 abort"])
        .run_with_results();
    let took = started.elapsed();
    run.code(99).stdout_has(&[
        "Stopped by the threshold \"failures.count == 0 abort\", which failed: ",
        "Stopped: a threshold marked abort failed",
    ]);
    assert_eq!(results["stop"], "threshold");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn an_abort_threshold_waits_for_its_grace() {
    let server = target();
    let started = Instant::now();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-w", "2", "-d", "60", "-q"])
        .args(["--threshold", "failures.count == 0 abort after 3s"])
        .run_with_results();
    let took = started.elapsed();
    run.code(99);
    assert_eq!(results["stop"], "threshold");
    let elapsed = results["elapsed_seconds"].as_f64().unwrap();
    assert!((3.0..10.0).contains(&elapsed), "ran {elapsed} s");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn bad_thresholds_are_one_line_and_exit_2_before_any_load() {
    let server = target();
    for (threshold, says) in [
        (
            "scenario.p95 < 200",
            "a latency is compared with a duration",
        ),
        ("latency < 1s", "unknown metric"),
        ("scenario[nope].p95 < 1s", "no scenario is named \"nope\""),
    ] {
        let run = testbed()
            .at(&server)
            .args(["-r", "1", "--threshold", threshold])
            .run();
        run.code(2);
        let line = run.one_error_line();
        assert!(line.contains(says), "{threshold}: {line}");
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn the_timeline_counts_each_second() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["-w", "2", "-d", "3", "-q"])
        .run_with_results();
    run.code(0);
    let timeline = &results["timeline"];
    assert_eq!(timeline["interval_seconds"], 1);
    let intervals = timeline["intervals"].as_array().unwrap();
    assert!((3..=5).contains(&intervals.len()), "{}", intervals.len());
    let runs: u64 = intervals
        .iter()
        .map(|i| i["successes"].as_u64().unwrap() + i["failures"].as_u64().unwrap())
        .sum();
    let total = results["successes"].as_u64().unwrap() + results["failures"].as_u64().unwrap();
    assert_eq!(runs, total, "every run is in one interval");
    let requests: u64 = intervals
        .iter()
        .map(|i| i["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests, server.requests());
    let seconds: f64 = intervals
        .iter()
        .map(|i| i["seconds"].as_f64().unwrap())
        .sum();
    let elapsed = results["elapsed_seconds"].as_f64().unwrap();
    assert!((seconds - elapsed).abs() < 0.05, "{seconds} vs {elapsed}");
    for pair in intervals.windows(2) {
        assert_eq!(pair[1]["t"].as_u64(), pair[0]["t"].as_u64().map(|t| t + 1));
    }
    assert!(
        intervals[1]["workers"].as_u64() == Some(2),
        "{}",
        intervals[1]
    );
    assert!(intervals[1]["latency"]["p99_us"].as_u64().is_some());
}

#[test]
fn molotov_report_merges_three_results_files_exactly() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for n in 0..3 {
        let path = dir.path().join(format!("r{n}.json"));
        let run = testbed()
            .at(&server)
            .scenarios("ok,fail")
            // Runs of one test with other options (machines of other sizes) merge too.
            .args(["-w", "2", "-r", &(50 * (n + 1)).to_string(), "-q"])
            .args(["--json", path.to_str().unwrap()])
            .run();
        run.code(0);
        files.push(path);
    }
    let merged = dir.path().join("merged.json");
    let html = dir.path().join("report.html");
    let run = molotov_report()
        .args(files.iter().map(|p| p.as_os_str()))
        .args([
            "--json",
            merged.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ])
        .args(["--threshold", "failures.count == 0"])
        .run();
    run.code(99)
        .stdout_has(&["Merged 3 results (3 processes)", "✗ failures.count == 0"]);
    let merged = read_json(&merged);
    let inputs: Vec<serde_json::Value> = files.iter().map(|p| read_json(p)).collect();
    for key in ["successes", "failures"] {
        let sum: u64 = inputs.iter().map(|r| r[key].as_u64().unwrap()).sum();
        assert_eq!(merged[key].as_u64(), Some(sum), "{key}");
    }
    // The merged histogram is the sum of the three, bucket by bucket.
    let mut expected = std::collections::BTreeMap::<u64, u64>::new();
    for input in &inputs {
        for bucket in input["requests"]["GET /"]["latency"]["buckets"]
            .as_array()
            .unwrap()
        {
            *expected.entry(bucket[0].as_u64().unwrap()).or_default() +=
                bucket[1].as_u64().unwrap();
        }
    }
    let got: std::collections::BTreeMap<u64, u64> =
        merged["requests"]["GET /"]["latency"]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b[0].as_u64().unwrap(), b[1].as_u64().unwrap()))
            .collect();
    assert_eq!(got, expected);
    // The generators' seconds add up; the busiest second is the largest (where Linux tells).
    let page = std::fs::read_to_string(&html).unwrap();
    if cfg!(target_os = "linux") {
        generators_add_up(&merged, &inputs);
        assert!(
            page.contains("\"generator\":{\"busy\":"),
            "the report has it"
        );
    }
    assert!(
        page.contains("\"title\":\"3 results merged\""),
        "the data is embedded"
    );

    // Results of another test are refused with one line.
    let other = dir.path().join("other.json");
    testbed()
        .at(&server)
        .args(["-r", "1", "-q", "--json", other.to_str().unwrap()])
        .run()
        .code(0);
    let run = molotov_report().arg(&files[0]).arg(&other).run();
    run.code(2);
    assert!(
        run.one_error_line().contains("are results of different"),
        "{run}"
    );
    let run = molotov_report().arg(dir.path().join("missing.json")).run();
    run.code(2);
    assert!(run.one_error_line().contains("cannot read"), "{run}");
}

/// The merged results' `generator`: the inputs' seconds added up, the largest peak.
fn generators_add_up(merged: &serde_json::Value, inputs: &[serde_json::Value]) {
    let sum = |key: &str| -> f64 {
        inputs
            .iter()
            .map(|r| r["generator"][key].as_f64().unwrap())
            .sum()
    };
    for key in ["seconds", "running_seconds", "waiting_seconds"] {
        let got = merged["generator"][key].as_f64().unwrap();
        assert!((got - sum(key)).abs() < 1e-9, "{key}: {got}");
    }
    let peak = inputs
        .iter()
        .map(|r| r["generator"]["peak"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!((merged["generator"]["peak"].as_f64().unwrap() - peak).abs() < 1e-12);
}
