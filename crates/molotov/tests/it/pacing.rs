//! Pacing: `--ramp-up` spreads the workers' starts, `--delay` pauses after every run.

use std::time::Duration;

use crate::support::{target, testbed};

#[test]
fn ramp_up_delays_the_later_workers() {
    let server = target();
    // Worker 1 of 2 starts half-way through a 1 s ramp-up.
    let run = testbed()
        .at(&server)
        .args(["-w", "2", "-r", "1", "--ramp-up", "1"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 2 | FAILURES: 0"]);
    assert!(run.elapsed >= Duration::from_millis(450), "{run}");
    assert!(run.elapsed < Duration::from_secs(6), "{run}");
}

#[test]
fn delay_pauses_after_every_run() {
    let server = target();
    let run = testbed()
        .at(&server)
        .args(["-r", "3", "--delay", "0.2"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 3 | FAILURES: 0"]);
    assert!(run.elapsed >= Duration::from_millis(400), "{run}");
    assert!(run.elapsed < Duration::from_secs(6), "{run}");
}

#[test]
fn a_duration_shorter_than_the_ramp_up_leaves_late_workers_out() {
    let server = target();
    let run = testbed()
        .at(&server)
        .args(["-w", "4", "--ramp-up", "20", "-d", "0.5", "--delay", "0.05"])
        .run();
    run.code(0)
        .stdout_has(&["Stopped: the duration", "with 1 worker "]);
    assert!(run.elapsed < Duration::from_secs(6), "{run}");
}
