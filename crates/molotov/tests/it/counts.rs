//! Exact counts: what the server saw, what the summary says and what `--json` writes agree.

use serde_json::Value;

use crate::support::{molotov, target, testbed};

#[test]
fn workers_times_runs_requests_reach_the_server() {
    let server = target();
    let run = molotov("hello")
        .at(&server)
        .args(["-w", "4", "-r", "25", "-q"])
        .run();
    run.code(0);
    assert_eq!(server.requests(), 100, "{run}");
    assert_eq!(server.requests_to("/"), 100);
}

#[test]
fn the_summary_counts_every_run() {
    let server = target();
    let run = molotov("hello")
        .at(&server)
        .args(["-w", "4", "-r", "25"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 100 | FAILURES: 0"]);
    assert_eq!(server.requests(), 100);
}

#[test]
fn json_results_hold_the_exact_counts() {
    let server = target();
    let (run, json) = molotov("hello")
        .at(&server)
        .args(["-w", "4", "-r", "25", "-q"])
        .run_with_results();
    run.code(0);
    assert_eq!(json["format"], 2, "{json}");
    assert_eq!(json["successes"], 100, "{json}");
    assert_eq!(json["failures"], 0, "{json}");
    assert_eq!(json["max_workers"], 4, "{json}");
    let scenarios = json["scenarios"].as_object().expect("scenarios");
    let names: Vec<&str> = scenarios.keys().map(String::as_str).collect();
    assert_eq!(names, ["scenario_one", "scenario_two"]);
    let total: u64 = scenarios
        .values()
        .map(|s| s["successes"].as_u64().unwrap() + s["failures"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 100, "{json}");
    let get = &json["requests"]["GET /"];
    assert_eq!(get["statuses"]["200"], 100, "{json}");
    assert_eq!(get["latency"]["count"], 100, "{json}");
    assert_eq!(server.requests(), 100);
}

#[test]
fn single_run_runs_each_scenario_once_per_worker() {
    let server = target();
    let (run, json) = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["--single-run", "-w", "3"])
        .run_with_results();
    run.code(0).stdout_has(&["SUCCESSES: 3 | FAILURES: 3"]);
    assert_eq!(server.requests(), 6, "3 workers x 2 scenarios\n{run}");
    assert_eq!(server.requests_to("/"), 3);
    assert_eq!(server.requests_to("/status/500"), 3);
    assert_eq!(json["scenarios"]["ok"]["successes"], 3, "{json}");
    assert_eq!(json["scenarios"]["fail"]["failures"], 3, "{json}");
}

#[test]
fn single_mode_runs_only_the_named_scenario() {
    let server = target();
    let (run, json) = molotov("hello")
        .at(&server)
        .args(["-s", "scenario_two", "-r", "5"])
        .run_with_results();
    run.code(0).stdout_has(&["SUCCESSES: 5 | FAILURES: 0"]);
    let count = |name: &str| -> u64 {
        let entry = &json["scenarios"][name];
        entry["successes"].as_u64().unwrap_or(0) + entry["failures"].as_u64().unwrap_or(0)
    };
    assert_eq!(count("scenario_two"), 5, "{json}");
    assert_eq!(count("scenario_one"), 0, "{json}");
    assert_eq!(server.requests(), 5);
}

#[test]
fn failures_are_counted_by_kind_in_the_results() {
    let server = target();
    let (run, json) = testbed()
        .at(&server)
        .scenarios("fail")
        .args(["-w", "2", "-r", "4"])
        .run_with_results();
    run.code(0).stdout_has(&["SUCCESSES: 0 | FAILURES: 8"]);
    assert_eq!(json["failures"], 8, "{json}");
    assert_eq!(json["scenarios"]["fail"]["errors"]["error"], 8, "{json}");
    assert_eq!(
        json["requests"]["GET /status/500"]["statuses"]["500"], 8,
        "{json}"
    );
    assert!(matches!(json["stop"], Value::Null), "{json}");
}

#[test]
fn the_same_seed_picks_the_same_scenarios() {
    let server = target();
    let counts = || {
        let (run, json) = molotov("hello")
            .at(&server)
            .args(["-w", "3", "-r", "20", "-q", "--seed", "42"])
            .run_with_results();
        run.code(0);
        assert_eq!(json["seed"], 42, "{json}");
        (
            json["scenarios"]["scenario_one"]["successes"]
                .as_u64()
                .unwrap(),
            json["scenarios"]["scenario_two"]["successes"]
                .as_u64()
                .unwrap(),
        )
    };
    let first = counts();
    assert_eq!(first.0 + first.1, 60);
    assert_eq!(counts(), first);
}
