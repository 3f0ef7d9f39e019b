//! How runs end: the duration, SIGINT and SIGTERM (graceful, then abort on the second).

use std::time::Duration;

use crate::support::{interrupted_during_global_setup, molotov, target, testbed, wait_until};

#[test]
fn duration_ends_the_run_on_time() {
    let server = target();
    let run = testbed().at(&server).args(["-d", "1", "-w", "2"]).run();
    run.code(0)
        .stdout_has(&["Stopped: the duration", "*** Bye ***"]);
    assert!(
        run.elapsed >= Duration::from_millis(900) && run.elapsed < Duration::from_secs(6),
        "{run}"
    );
    assert!(server.requests() > 0);
}

#[test]
fn duration_accepts_fractions_of_a_second() {
    let server = target();
    let run = testbed().at(&server).args(["-d", "0.3", "-q"]).run();
    run.code(0);
    assert!(
        run.elapsed >= Duration::from_millis(250) && run.elapsed < Duration::from_secs(5),
        "{run}"
    );
}

/// Starts a long run and waits until the server has seen `requests` requests.
fn started(
    cmd: crate::support::Molotov,
    server: &molotov_target::Target,
    path: &str,
) -> crate::support::Running {
    let mut running = cmd.args(["-d", "60"]).spawn();
    wait_until(Duration::from_secs(10), "the first requests", || {
        assert!(!running.has_exited(), "the run ended early");
        server.requests_to(path) > 0
    });
    running
}

#[test]
fn sigint_stops_gracefully_prints_the_summary_runs_teardowns_and_exits_130() {
    let server = target();
    let running = started(molotov("fixtures").at(&server), &server, "/echo");
    running.signal("INT");
    let run = running.wait(Duration::from_secs(10));
    run.code(130).stdout_in_order(&[
        "This is the end for 0",
        "This is the end of the test.",
        "Stopped: interrupted",
        "SUCCESSES: ",
        "*** Bye ***",
    ]);
    assert!(run.elapsed < Duration::from_secs(15), "{run}");
}

#[test]
fn sigterm_stops_like_sigint() {
    let server = target();
    let running = started(
        testbed().at(&server).env("TESTBED_PRINT", "1"),
        &server,
        "/",
    );
    running.signal("TERM");
    let run = running.wait(Duration::from_secs(10));
    run.code(130).stdout_in_order(&[
        "fixture: teardown_session 0",
        "fixture: teardown 0",
        "fixture: global_teardown",
        "Stopped: interrupted",
        "*** Bye ***",
    ]);
}

#[test]
fn the_first_sigint_lets_the_scenario_in_flight_finish() {
    let server = target();
    let running = started(
        testbed()
            .at(&server)
            .scenarios("slow")
            .env("TESTBED_DELAY_MS", "3000"),
        &server,
        "/delay/3000",
    );
    running.signal("INT");
    let run = running.wait(Duration::from_secs(10));
    run.code(130)
        .stdout_has(&["Stopped: interrupted", "SUCCESSES: 1 | FAILURES: 0"]);
    assert!(!run.stdout.contains("cancelled"), "{run}");
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_second_sigint_cancels_the_scenario_in_flight() {
    let server = target();
    let mut running = started(
        testbed()
            .at(&server)
            .scenarios("slow")
            .env("TESTBED_PRINT", "1")
            .env("TESTBED_DELAY_MS", "20000"),
        &server,
        "/delay/20000",
    );
    running.signal("INT");
    running.interrupt_again();
    let run = running.wait(Duration::from_secs(15));
    run.code(130).stdout_has(&[
        "Stopped: interrupted",
        "1 scenario run was cancelled",
        "SUCCESSES: 0 | FAILURES: 0",
        "fixture: teardown 0",
        "fixture: global_teardown",
    ]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
}

#[test]
fn a_signal_during_global_setup_stops_the_run_before_any_load() {
    let server = target();
    interrupted_during_global_setup(testbed().at(&server).args(["-d", "60"]), &server);
}

#[test]
fn at_the_duration_the_scenario_in_flight_finishes() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("slow")
        .env("TESTBED_DELAY_MS", "1200")
        .args(["-d", "0.3"])
        .run();
    run.code(0)
        .stdout_has(&["Stopped: the duration", "SUCCESSES: 1 | FAILURES: 0"]);
    assert!(run.elapsed >= Duration::from_millis(1100), "{run}");
    assert!(!run.stdout.contains("cancelled"), "{run}");
}

#[test]
fn force_shutdown_cancels_the_scenario_in_flight_at_the_duration() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("slow")
        .env("TESTBED_DELAY_MS", "20000")
        .args(["-d", "0.5", "--force-shutdown"])
        .run();
    run.code(0).stdout_has(&[
        "Stopped: the duration",
        "1 scenario run was cancelled in flight",
        "SUCCESSES: 0 | FAILURES: 0",
    ]);
    assert!(run.elapsed < Duration::from_secs(5), "{run}");
}
