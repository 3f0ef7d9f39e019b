//! What the console prints: Molotov's lines, the summary, `-q`, `-v` and `-vv`.

use crate::support::{target, testbed};

#[test]
fn the_simple_console_prints_molotovs_lines_and_the_summary() {
    let server = target();
    let run = testbed().at(&server).args(["-c", "-r", "3"]).run();
    run.code(0)
        .stdout_in_order(&[
            "**** Molotov v",
            "Preparing 1 worker...\n",
            "OK\n",
            "[W:0] Starting\n",
            "[W:0] Setting up session\n",
            "[W:0] Running scenarios\n",
            "[W:0] Done!\n",
            "SUCCESSES: 3 | FAILURES: 0",
            "*** Bye ***",
        ])
        .stdout_has(&[
            "Scenario", "count", "ok", "failed", "p50", "p99", "Request", "GET /",
        ]);
    let header = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Scenario"))
        .expect("the per-scenario table header");
    for column in [
        "count", "ok", "failed", "rate/s", "p50", "p90", "p99", "max", "outcomes",
    ] {
        assert!(header.contains(column), "{header:?} lacks {column}");
    }
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn several_workers_are_announced_in_the_plural() {
    let server = target();
    let run = testbed()
        .at(&server)
        .args(["-c", "-w", "2", "-r", "1"])
        .run();
    run.code(0)
        .stdout_has(&["Preparing 2 workers...", "[W:0] Done!", "[W:1] Done!"]);
}

#[test]
fn quiet_prints_nothing_at_all() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-q", "-w", "2", "-r", "5"])
        .run();
    run.code(0);
    assert!(run.stdout.is_empty(), "{run}");
    assert!(run.stderr.is_empty(), "{run}");
    assert_eq!(server.requests(), 10);
}

#[test]
fn quiet_still_exits_1_when_the_fail_threshold_is_reached() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-q", "-f", "1", "-r", "1"])
        .run();
    run.code(1);
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run}");
}

#[test]
fn a_failure_is_shown_with_its_kind_and_message() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-r", "1"])
        .run();
    run.code(0)
        .stdout_has(&["[W:0] Failure! fail: error: the server answered 500"]);
    assert!(
        !run.stdout.contains("caused by"),
        "causes only with -v\n{run}"
    );
}

#[test]
fn verbose_shows_a_failure_with_its_causes() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-v", "-r", "1"])
        .run();
    run.code(0).stdout_in_order(&[
        "[W:0] Failure! fail: error: the server answered 500\n",
        "  caused by: the testbed expected a failure\n",
        "SUCCESSES: 0 | FAILURES: 1",
    ]);
}

#[test]
fn very_verbose_dumps_the_requests_and_responses() {
    let server = target();
    let run = testbed().at(&server).args(["-vv", "-r", "1"]).run();
    let request = format!("GET {}/", server.url(""));
    run.code(0).stdout_in_order(&[
        "[W:0] Running scenarios",
        &request,
        "HTTP/1.1 200 OK",
        "{\"result\": \"OK\"}",
        "SUCCESSES: 1 | FAILURES: 0",
    ]);
}

/// With `-c` in a terminal (a pseudo-terminal from `script`, when the machine has it) the
/// counts are a live footer, redrawn in place and erased before the summary.
#[test]
fn in_a_terminal_the_counts_are_a_live_footer() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_script {
        eprintln!("skipped: no `script` command to run in a pseudo-terminal");
        return;
    }
    let server = target();
    let bin = crate::support::example("testbed");
    let mut command = std::process::Command::new("script");
    command
        .args([
            "-qec",
            &format!("'{}' -c -d 0.7 --console-update 0.1", bin.display()),
        ])
        .arg("/dev/null")
        .env("MOLOTOV_TARGET", server.url(""))
        .env_remove("TESTBED_SCENARIOS")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let run = crate::support::Running::start(command, true).wait(crate::support::TIMEOUT);
    run.code(0);
    let footers = run.stdout.matches("SUCCESS: ").count();
    assert!(footers >= 2, "the footer is redrawn\n{run}");
    assert!(
        run.stdout.contains("WORKERS: 1 PROCESSES: 1 ELAPSED: "),
        "{run}"
    );
    assert!(
        run.stdout.contains("\r\x1b[2K"),
        "the footer is erased in place\n{run}"
    );
    let summary = run.stdout.rfind("SUCCESSES: ").expect("the summary");
    let last_footer = run.stdout.rfind("SUCCESS: ").unwrap();
    let erased = run.stdout[last_footer..summary].contains("\r\x1b[2K");
    assert!(
        erased,
        "the last footer is erased before the summary\n{run}"
    );
}
