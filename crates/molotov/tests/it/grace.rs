//! `--graceful-stop` and `--force-shutdown`: once a run stops, the scenarios in flight get
//! the grace, then are cancelled; a run never outlasts `-d` by more than its grace.
//!
//! The testbed's `slow` scenario requests `/delay/20000`: it would take 20 s (and the
//! request timeout is 5 minutes), so a run that ends within seconds was cut by the grace.

use std::time::Duration;

use molotov_target::Target;
use serde_json::Value;

use crate::support::{Finished, Molotov, target, testbed, wait_until};

/// The testbed with its `slow` scenario (requests of 20 s) at `server`.
fn slow(server: &Target) -> Molotov {
    testbed()
        .at(server)
        .scenarios("slow")
        .env("TESTBED_DELAY_MS", "20000")
}

/// Checks that every run of `workers` was cancelled in flight, counted as such.
#[track_caller]
fn all_cancelled(run: &Finished, json: &Value, workers: u64) {
    assert_eq!(json["cancelled"], workers, "{json}\n{run}");
    assert_eq!(
        (json["successes"].as_u64(), json["failures"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn after_the_duration_the_runs_in_flight_get_the_grace_then_are_cancelled() {
    let server = target();
    let (run, json) = slow(&server)
        .args(["-w", "2", "-d", "1", "--graceful-stop", "1"])
        .run_with_results();
    run.code(0).stdout_has(&[
        "Stopped: the duration",
        "2 scenario runs were cancelled in flight",
        "SUCCESSES: 0 | FAILURES: 0",
    ]);
    all_cancelled(&run, &json, 2);
    assert_eq!(json["stop"], "deadline", "{json}");
    // -d 1 plus a grace of 1: about 2 s, far from the requests' 20 s.
    assert!(
        run.elapsed >= Duration::from_millis(1900) && run.elapsed < Duration::from_secs(8),
        "{run}"
    );
    assert_eq!(server.requests_to("/delay/20000"), 2);
}

#[test]
fn force_shutdown_cancels_at_the_duration_whatever_the_grace() {
    let server = target();
    let (run, json) = slow(&server)
        .args(["-d", "1", "--graceful-stop", "10", "--force-shutdown"])
        .run_with_results();
    run.code(0);
    all_cancelled(&run, &json, 1);
    // About 1 s: neither the grace of 10 s nor the request's 20 s.
    assert!(
        run.elapsed >= Duration::from_millis(900) && run.elapsed < Duration::from_secs(6),
        "{run}"
    );
}

#[test]
fn each_process_of_a_p_run_applies_the_grace() {
    let server = target();
    let (run, json) = slow(&server)
        .args(["-p", "2", "-w", "2", "-d", "1", "--graceful-stop", "1"])
        .run_with_results();
    run.code(0);
    all_cancelled(&run, &json, 4);
    assert_eq!(json["processes"], 2, "{json}");
    assert!(
        run.elapsed >= Duration::from_millis(1900) && run.elapsed < Duration::from_secs(8),
        "{run}"
    );
}

#[test]
fn a_signal_gets_the_grace_too() {
    let server = target();
    let mut running = slow(&server)
        .args(["-d", "60", "--graceful-stop", "1"])
        .spawn();
    wait_until(Duration::from_secs(10), "the slow request", || {
        assert!(!running.has_exited(), "the run ended early");
        server.requests_to("/delay/20000") > 0
    });
    running.signal("INT");
    let run = running.wait(Duration::from_secs(15));
    run.code(130).stdout_has(&[
        "Stopped: interrupted",
        "1 scenario run was cancelled in flight",
        "SUCCESSES: 0 | FAILURES: 0",
    ]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
}

#[test]
fn fail_fast_gives_the_other_runs_in_flight_the_grace() {
    let server = target();
    // With this seed, three workers pick `slow` first and one picks `fail`: its failure stops
    // the run (-x), and the three slow runs in flight are cut by the grace.
    let (run, json) = slow(&server)
        .scenarios("slow,fail")
        .args(["-w", "4", "-x", "--graceful-stop", "1", "--seed", "6"])
        .run_with_results();
    run.code(4);
    assert_eq!(json["stop"], "fail-fast", "{json}");
    assert_eq!(json["successes"], 0, "{json}");
    assert_eq!(json["failures"], 1, "{json}");
    assert_eq!(json["cancelled"], 3, "{json}");
    assert_eq!(server.requests_to("/delay/20000"), 3);
    assert!(
        run.elapsed >= Duration::from_millis(900) && run.elapsed < Duration::from_secs(8),
        "{run}"
    );
}

#[test]
fn the_default_grace_is_30_seconds() {
    // The grace itself is checked with shorter ones above; the default is what --help says.
    let run = testbed().args(["--help"]).run();
    run.code(0);
    let option = run
        .stdout
        .find("--graceful-stop <SECONDS>")
        .unwrap_or_else(|| panic!("--help lacks --graceful-stop\n{run}"));
    let rest = &run.stdout[option..];
    let default = rest.find("[default: ").map(|at| &rest[at..]);
    assert!(
        default.is_some_and(|d| d.starts_with("[default: 30]")),
        "{rest}"
    );
}
