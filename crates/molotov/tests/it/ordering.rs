//! What the load test prints appears where it was printed among molotov's own lines: its
//! fixtures' and scenarios' prints, on stdout and on stderr, through a pipe (the line console).
//! The dashboard's panes are checked in `dashboard`.
//!
//! Between its two streams, a print on stdout and one on stderr with no line of molotov's
//! between them keep their order only in their own stream (as when two processes write to one
//! terminal): each stream is read from a pipe of its own.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Running, example, target};

/// The whole run, in order: molotov's lines, what fixtures print on stdout (`fixture:`), what
/// scenarios print, a failure, the summary.
const IN_ORDER: &[&str] = &[
    "**** Molotov v",
    "fixture: global_setup",
    "Preparing 1 worker...",
    "[W:0] Starting",
    "fixture: setup 0",
    "[W:0] Setting up session",
    "fixture: setup_session 0",
    "[W:0] Running scenarios",
    "scenario 0.1",
    "scenario 0.2",
    "[W:0] Failure! chatty: assertion: chatty fails at step 2",
    "scenario 0.3",
    "[W:0] Done!",
    "fixture: teardown_session 0",
    "fixture: teardown 0",
    "fixture: global_teardown",
    "Ran for ",
    "SUCCESSES: 2 | FAILURES: 1",
];

/// What fixtures print on stderr, among molotov's lines.
const STDERR_IN_ORDER: &[&str] = &[
    "**** Molotov v",
    "stderr: global_setup",
    "Preparing 1 worker...",
    "[W:0] Starting",
    "stderr: setup 0",
    "[W:0] Setting up session",
    "stderr: setup_session 0",
    "[W:0] Running scenarios",
    "[W:0] Done!",
    "stderr: teardown_session 0",
    "stderr: teardown 0",
    "stderr: global_teardown",
    "Ran for ",
];

/// The testbed with stdout and stderr into one pipe, as `2>&1` does.
fn merged(url: &str, args: &str) -> Running {
    let script = format!("exec '{}' {args} 2>&1", example("testbed").display());
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &script])
        .env("MOLOTOV_TARGET", url)
        .env("TESTBED_SCENARIOS", "chatty")
        .env("TESTBED_PRINT", "2")
        .env_remove("TESTBED_FAIL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Running::start(command, true)
}

#[test]
fn prints_appear_in_their_place_among_molotovs_lines() {
    let server = target();
    // Repeated: the order must not depend on how the threads happen to be scheduled.
    for _ in 0..5 {
        let run = merged(&server.url(""), "-w 1 -r 3").wait(Duration::from_secs(20));
        run.code(0)
            .stdout_in_order(IN_ORDER)
            .stdout_in_order(STDERR_IN_ORDER);
        for line in IN_ORDER.iter().chain(STDERR_IN_ORDER) {
            assert_eq!(run.stdout.matches(line).count(), 1, "{line}: {run}");
        }
    }
}

#[test]
fn a_last_print_without_a_newline_is_not_lost() {
    let server = target();
    let run = crate::support::testbed()
        .at(&server)
        .env("TESTBED_TAIL", "no newline after this")
        .args(["-w", "1", "-r", "1", "-c"])
        .run();
    run.code(0).stdout_in_order(&[
        "no newline after this\n",
        "Ran for ",
        "SUCCESSES: 1 | FAILURES: 0",
    ]);
}
