//! `-p N`: worker processes with exact totals, global fixtures in the parent, global stops,
//! crashes reported, and nothing left behind.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::support::{interrupted_during_global_setup, read_json, target, testbed, wait_until};

/// Processes whose environment holds `marker` (the test's own children, found by /proc).
fn processes_marked(marker: &str) -> Vec<u32> {
    let needle = format!("TESTBED_MARK={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
        })
        .collect()
}

fn total(results: &Value) -> u64 {
    results["successes"].as_u64().unwrap() + results["failures"].as_u64().unwrap()
}

#[test]
fn four_processes_count_exactly_what_the_server_saw() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["-p", "4", "-w", "25", "-r", "100", "-q"])
        .run_with_results();
    run.code(0);
    assert_eq!(server.requests(), 10_000, "{run}");
    assert_eq!(results["successes"], 10_000);
    assert_eq!(results["processes"], 4);
    assert_eq!(results["scenarios"]["ok"]["successes"], 10_000);
    assert_eq!(results["scenarios"]["ok"]["latency"]["count"], 10_000);
    assert_eq!(results["requests"]["GET /"]["statuses"]["200"], 10_000);
    assert_eq!(results["requests"]["GET /"]["latency"]["count"], 10_000);
}

#[test]
fn per_scenario_totals_and_histograms_match_what_the_server_saw() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-p", "4", "-w", "25", "-r", "100", "-q"])
        .run_with_results();
    run.code(0);
    assert_eq!(total(&results), 10_000, "{run}");
    for (scenario, path) in [("ok", "/"), ("fail", "/status/500")] {
        let stats = &results["scenarios"][scenario];
        let runs = total(stats);
        assert!(runs > 0, "{scenario} never ran: {results}");
        assert_eq!(runs, server.requests_to(path), "{scenario}");
        let timed = stats["latency"]["count"].as_u64().unwrap()
            + stats["failed_latency"]["count"].as_u64().unwrap_or(0);
        assert_eq!(timed, runs, "{scenario}");
    }
    assert_eq!(results["scenarios"]["fail"]["successes"], 0);
    assert_eq!(results["scenarios"]["ok"]["failures"], 0);
}

#[test]
fn global_fixtures_run_once_and_worker_ids_are_unique_across_processes() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_PRINT", "1")
        .args(["-p", "3", "-w", "2", "-r", "2", "-c"])
        .run();
    run.code(0)
        .stdout_has(&["Forking 3 processes", "SUCCESSES: 12 | FAILURES: 0"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l == "fixture: global_setup")
            .count(),
        1,
        "{run}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l == "fixture: global_teardown")
            .count(),
        1,
        "{run}"
    );
    let workers: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| unlabelled(l).strip_prefix("fixture: setup "))
        .collect();
    assert_eq!(workers, ["0", "1", "2", "3", "4", "5"].into(), "{run}");
    // The `ok` scenario checks the variable global_setup set, in each process.
    assert_eq!(server.requests(), 12);
}

#[test]
fn a_deadline_stops_every_process_with_exact_totals() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["-p", "2", "-w", "4", "-d", "1"])
        .run_with_results();
    run.code(0).stdout_has(&["Stopped: the duration"]);
    assert!(run.elapsed < Duration::from_secs(8), "{run}");
    assert_eq!(server.requests(), total(&results), "{run}");
    assert_eq!(results["stop"], "deadline");
}

#[test]
fn fail_fast_in_one_process_stops_them_all() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-p", "3", "-w", "2", "-d", "60", "-x"])
        .run_with_results();
    run.code(4)
        .stdout_has(&["Stopped: stopped at the first failure (-x)"]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
    assert_eq!(server.requests(), total(&results), "{run}");
    assert!(results["failures"].as_u64().unwrap() >= 1);
}

#[test]
fn a_fixture_failing_in_one_process_stops_them_all_and_teardowns_run() {
    let server = target();
    let run = testbed()
        .at(&server)
        .env("TESTBED_FAIL", "setup_session")
        .env("TESTBED_PRINT", "1")
        .args(["-p", "2", "-w", "2", "-d", "60", "-c"])
        .run();
    run.code(3)
        .stdout_has(&["Stopped: a fixture failed", "fixture: global_teardown"]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
    let count = |prefix: &str| {
        let lines = run.stdout.lines();
        lines.filter(|l| unlabelled(l).starts_with(prefix)).count()
    };
    // Worker 0 failed in setup_session after its setup; the other workers may or may not
    // have set up before the stop reached them (the other process may not have started any);
    // every worker that set up ran its teardown.
    let setups = count("fixture: setup ");
    assert!((1..=4).contains(&setups), "{run}");
    assert_eq!(count("fixture: teardown "), setups, "{run}");
}

#[test]
fn sigint_stops_every_process_gracefully_with_exact_totals_and_no_process_left() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    let marker = format!("sigint-{}", std::process::id());
    let mut running = testbed()
        .at(&server)
        .env("TESTBED_MARK", &marker)
        .env("TESTBED_PRINT", "1")
        .args(["-p", "3", "-w", "2", "-d", "60", "-c", "--json"])
        .args([&json])
        .spawn();
    // Every worker of every process set up (and so will tear down), and the load is on.
    wait_until(
        Duration::from_secs(20),
        "every worker set up, and requests",
        || {
            assert!(!running.has_exited(), "the run ended early");
            let printed = running.stdout_so_far();
            (0..6).all(|w| printed.contains(&format!("fixture: setup {w}\n")))
                && server.requests() > 300
        },
    );
    running.signal("INT");
    let run = running.wait(Duration::from_secs(15));
    run.code(130)
        .stdout_has(&["Stopped: interrupted", "*** Bye ***"]);
    let results = read_json(&json);
    assert_eq!(server.requests(), total(&results), "{run}");
    let teardowns = run
        .stdout
        .lines()
        .filter(|l| unlabelled(l).starts_with("fixture: teardown "))
        .count();
    assert_eq!(teardowns, 6, "{run}");
    assert!(
        processes_marked(&marker).is_empty(),
        "processes left behind"
    );
}

#[test]
fn a_sigint_during_global_setup_stops_the_run_before_any_process_starts() {
    let server = target();
    let marker = format!("early-{}", std::process::id());
    let run = interrupted_during_global_setup(
        testbed()
            .at(&server)
            .env("TESTBED_MARK", &marker)
            .args(["-p", "3", "-w", "2", "-d", "60", "-c"]),
        &server,
    );
    assert!(!run.stdout.contains("Forking"), "{run}");
    assert!(!run.stdout.contains("fixture: setup "), "{run}");
    assert!(run.stdout.contains("in 0 processes"), "{run}");
    assert!(
        processes_marked(&marker).is_empty(),
        "processes left behind"
    );
}

#[test]
fn a_second_sigint_ends_a_global_setup_that_hangs() {
    let server = target();
    let mut running = testbed()
        .at(&server)
        .env("TESTBED_PRINT", "1")
        .env("TESTBED_GLOBAL_SETUP_MS", "60000")
        .args(["-p", "2", "-d", "60", "-c"])
        .spawn();
    running.wait_for_stdout("fixture: global_setup");
    // Two signals sent back to back may arrive as one: repeat until the process is gone.
    wait_until(Duration::from_secs(10), "the process to end", || {
        if running.has_exited() {
            return true;
        }
        running.signal("INT");
        std::thread::sleep(Duration::from_millis(100));
        false
    });
    let run = running.wait(Duration::from_secs(1));
    assert_eq!(run.code, None, "ended by the signal itself: {run}");
    assert!(run.elapsed < Duration::from_secs(20), "{run}");
    assert_eq!(server.requests(), 0, "{run}");
}

#[test]
fn a_second_sigint_aborts_the_requests_in_flight_in_every_process() {
    let server = target();
    let marker = format!("abort-{}", std::process::id());
    let mut running = testbed()
        .at(&server)
        .scenarios("slow")
        .env("TESTBED_MARK", &marker)
        .args(["-p", "2", "-w", "2", "-d", "60", "-c"])
        .spawn();
    wait_until(Duration::from_secs(10), "slow requests in flight", || {
        assert!(!running.has_exited(), "the run ended early");
        server.requests() >= 4
    });
    running.signal("INT");
    running.interrupt_again();
    let run = running.wait(Duration::from_secs(10));
    run.code(130)
        .stdout_has(&["4 scenario runs were cancelled"]);
    assert!(run.elapsed < Duration::from_secs(15), "{run}");
    assert!(
        processes_marked(&marker).is_empty(),
        "processes left behind"
    );
}

#[test]
fn a_crashed_process_is_reported_and_the_others_stop() {
    let server = target();
    let marker = format!("crash-{}", std::process::id());
    let run = testbed()
        .at(&server)
        .scenarios("crash")
        .env("TESTBED_MARK", &marker)
        .args(["-p", "3", "-w", "2", "-d", "60", "-c"])
        .run();
    run.code(5).stdout_has(&[
        "The process crashed (killed by SIGABRT)",
        "1 worker process crashed: these totals are from the surviving processes only",
    ]);
    assert!(run.elapsed < Duration::from_secs(10), "{run}");
    assert!(
        processes_marked(&marker).is_empty(),
        "processes left behind"
    );
}

#[test]
fn a_parent_killed_outright_leaves_no_process_behind() {
    let server = target();
    let marker = format!("orphan-{}", std::process::id());
    let mut running = testbed()
        .at(&server)
        .env("TESTBED_MARK", &marker)
        .env("TESTBED_PRINT", "1")
        .args(["-p", "2", "-w", "2", "-d", "60", "-c"])
        .spawn();
    wait_until(Duration::from_secs(20), "every worker set up", || {
        assert!(!running.has_exited(), "the run ended early");
        let printed = running.stdout_so_far();
        (0..4).all(|w| printed.contains(&format!("fixture: setup {w}\n")))
    });
    running.signal("KILL");
    // The processes see their parent gone, stop gracefully (teardowns included) and exit;
    // their stdout, shared with the parent, closes once the last has.
    let run = running.wait(Duration::from_secs(15));
    wait_until(
        Duration::from_secs(15),
        "the worker processes to end",
        || processes_marked(&marker).is_empty(),
    );
    let teardowns = run
        .stdout
        .lines()
        .filter(|l| unlabelled(l).starts_with("fixture: teardown "))
        .count();
    assert_eq!(teardowns, 4, "{run}");
    assert!(!run.stdout.contains("fixture: global_teardown"), "{run}");
}

/// A line without the `[P:1234] ` label of the process that printed it.
fn unlabelled(line: &str) -> &str {
    line.strip_prefix("[P:")
        .and_then(|rest| rest.split_once("] "))
        .filter(|(pid, _)| pid.bytes().all(|b| b.is_ascii_digit()))
        .map_or(line, |(_, text)| text)
}
