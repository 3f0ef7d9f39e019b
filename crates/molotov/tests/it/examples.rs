//! The examples shipped with the crate run as documented.

use crate::support::{molotov, target};

#[test]
fn hello_runs_both_scenarios() {
    let server = target();
    let run = molotov("hello")
        .at(&server)
        .args(["-w", "2", "-r", "10"])
        .run();
    run.code(0).stdout_has(&[
        "scenario_one",
        "scenario_two",
        "SUCCESSES: 20 | FAILURES: 0",
    ]);
    assert_eq!(server.requests(), 20);
}

#[test]
fn fixtures_are_called_in_molotovs_order() {
    let server = target();
    let run = molotov("fixtures").at(&server).args(["-r", "2"]).run();
    run.code(0).stdout_in_order(&[
        "global_setup: the server says {\"result\": \"OK\"}",
        "setup: worker 0",
        "teardown_session: worker 0 (object of worker 0)",
        "This is the end for 0",
        "This is the end of the test.",
        "SUCCESSES: 2 | FAILURES: 0",
    ]);
    // One synchronous request in global_setup, then the two scenario runs.
    assert_eq!(server.requests_to("/"), 1);
    assert_eq!(server.requests_to("/echo"), 2);
}

#[test]
fn fixtures_run_for_every_worker() {
    let server = target();
    let run = molotov("fixtures")
        .at(&server)
        .args(["-w", "3", "-r", "1"])
        .run();
    run.code(0).stdout_has(&[
        "setup: worker 0",
        "setup: worker 1",
        "setup: worker 2",
        "This is the end for 0",
        "This is the end for 1",
        "This is the end for 2",
        "SUCCESSES: 3 | FAILURES: 0",
    ]);
    assert_eq!(
        run.stdout.matches("This is the end of the test.").count(),
        1
    );
}

#[test]
fn events_measure_the_average_response_time() {
    let server = target();
    let run = molotov("events").at(&server).args(["-r", "5"]).run();
    run.code(0)
        .stdout_in_order(&["Average response time ", "ms", "SUCCESSES: 5 | FAILURES: 0"]);
}
