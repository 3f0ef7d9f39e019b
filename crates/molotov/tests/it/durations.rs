//! Durations too large to hold (`-d 1e20`, `inf`) are no limit: no overflow, no panic, and
//! the run ends as it would without them.

use crate::support::{target, testbed};

#[test]
fn huge_durations_are_no_limit_and_never_a_panic() {
    let server = target();
    let cases: &[&[&str]] = &[
        &["-d", "1e20", "-r", "3"],
        &["-d", "inf", "-r", "3"],
        &["-d", "1e300", "-r", "3", "-p", "2"],
        // The second worker's start is past any clock: the deadline ends the run.
        &["--ramp-up", "1e20", "-w", "2", "-d", "1"],
        // The pause after the first run never ends by itself: the deadline does.
        &["--delay", "1e20", "-d", "1", "-r", "3"],
        &["--console-update", "1e20", "-d", "0.5"],
        &["--graceful-stop", "1e20", "-d", "0.5"],
    ];
    for args in cases {
        let run = testbed().at(&server).args(*args).args(["-c"]).run();
        run.code(0).no_panic().stdout_has(&["*** Bye ***"]);
        assert!(run.stderr.is_empty(), "{args:?}\n{run}");
        assert!(run.stdout.contains("FAILURES: 0"), "{args:?}\n{run}");
    }
}

#[test]
fn a_huge_duration_with_max_runs_runs_them_all() {
    let server = target();
    let (run, json) = testbed()
        .at(&server)
        .args(["-d", "1e20", "-r", "3", "-w", "2"])
        .run_with_results();
    run.code(0).no_panic();
    assert_eq!(json["successes"], 6, "{json}");
    assert_eq!(json["stop"], serde_json::Value::Null, "{json}");
    assert_eq!(server.requests(), 6);
}
