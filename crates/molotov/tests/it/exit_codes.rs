//! Exit codes: 0 as planned, 1 at `-f`, 2 usage (see `cli`), 3 a fixture, 4 `-x`, 130 signals
//! (see `stopping`).

use std::time::Duration;

use crate::support::{read_json, refused_url, target, testbed};

#[test]
fn failures_without_a_threshold_exit_0() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-r", "3"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 0 | FAILURES: 3"]);
}

#[test]
fn reaching_the_fail_threshold_exits_1() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-r", "3", "-f", "3"])
        .run();
    run.code(1).stdout_has(&["SUCCESSES: 0 | FAILURES: 3"]);
}

#[test]
fn failures_below_the_fail_threshold_exit_0() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-r", "3", "-f", "4"])
        .run();
    run.code(0);
}

#[test]
fn exception_stops_at_the_first_failure_and_exits_4() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args([
            "-x",
            "-w",
            "2",
            "-d",
            "30",
            "--json",
            path.to_str().unwrap(),
        ])
        .run();
    run.code(4)
        .stdout_has(&["Stopped: stopped at the first failure (-x)"]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
    let json = read_json(&path);
    assert_eq!(json["stop"], "fail-fast", "{json}");
    // Each of the 2 workers finishes the run in flight at most.
    let failures = json["failures"].as_u64().unwrap();
    assert!((1..=2).contains(&failures), "{json}");
    assert!(server.requests() <= 2, "{}", server.requests());
}

#[test]
fn a_failing_setup_fixture_exits_3_and_names_the_fixture() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "setup")
        .env("TESTBED_PRINT", "1")
        .args(["-r", "5"])
        .run();
    run.code(3)
        .stdout_has(&["setup() fixture failed: setup fails on purpose"])
        .stdout_has(&["Fixture failed: setup() (worker 0): setup fails on purpose"])
        // The worker's teardown and the global teardown still ran.
        .stdout_in_order(&["fixture: teardown 0", "fixture: global_teardown"]);
    assert_eq!(server.requests(), 0, "no scenario ran\n{run}");
}

#[test]
fn a_failing_setup_session_fixture_exits_3() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "setup_session")
        .args(["-r", "5"])
        .run();
    run.code(3).stdout_has(&["setup_session() fixture failed"]);
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_failing_teardown_fixture_exits_3_after_the_run() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "teardown")
        .args(["-r", "2"])
        .run();
    run.code(3)
        .stdout_has(&["teardown() fixture failed", "SUCCESSES: 2 | FAILURES: 0"]);
}

#[test]
fn a_failing_global_setup_exits_3_and_sends_no_load() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "global_setup")
        .env("TESTBED_PRINT", "1")
        .args(["-r", "5"])
        .run();
    run.code(3);
    assert!(
        run.stderr.contains("global_setup") && run.stderr.contains("fails on purpose"),
        "{run}"
    );
    assert!(!run.stdout.contains("fixture: global_teardown"), "{run}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_failing_global_setup_is_reported_even_with_quiet() {
    let run = testbed()
        .env("TESTBED_FAIL", "global_setup")
        .args(["-q", "-r", "1"])
        .run();
    run.code(3);
    assert!(run.stderr.contains("global_setup"), "{run}");
}

#[test]
fn refused_connections_are_counted_failures_of_kind_connect_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    let run = testbed()
        .url(&refused_url())
        .args(["-r", "3", "--json", path.to_str().unwrap()])
        .run();
    run.code(0)
        .stdout_has(&["Failure! ok: connect:", "SUCCESSES: 0 | FAILURES: 3"]);
    let json = read_json(&path);
    assert_eq!(json["scenarios"]["ok"]["errors"]["connect"], 3, "{json}");
    assert_eq!(json["requests"]["GET /"]["errors"]["connect"], 3, "{json}");
}

#[test]
fn a_panicking_scenario_is_a_counted_failure() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("panic")
        .args(["-r", "5", "-f", "5"])
        .run();
    run.code(1).stdout_has(&[
        "Failure! panic: panic: the testbed panics on purpose",
        "FAILURES: 5",
    ]);
}

#[test]
fn a_failing_global_teardown_exits_3_after_the_summary_counts() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "global_teardown")
        .args(["-r", "2"])
        .run();
    run.code(3).stdout_has(&[
        "The global_teardown() fixture failed: global_teardown fails on purpose",
        "Fixture failed: global_teardown(): global_teardown fails on purpose",
        "SUCCESSES: 2 | FAILURES: 0",
    ]);
}
