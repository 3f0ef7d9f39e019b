//! The open-file limit: a run of more workers than the limit allows is warned about before
//! the load starts, goes on, and counts the requests that found no file descriptor under
//! their own kind, `files`, with totals that still add up to what the server saw.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Finished, Molotov, Running, read_json, target, testbed};

/// Runs `molotov` under an open-file limit of `limit` (soft and hard alike, so that raising
/// the soft limit to the hard one cannot undo it), through `sh -c 'ulimit -n ...; exec ...'`.
fn under_limit(limit: u32, molotov: Molotov) -> Finished {
    let inner = molotov.into_command();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Running::start(command, true).wait(Duration::from_secs(30))
}

#[test]
fn more_workers_than_files_warn_and_fail_as_files_with_exact_totals() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    let run = under_limit(
        64,
        testbed()
            .at(&server)
            .args(["-w", "200", "-d", "1", "-c", "--json"])
            .arg(&path),
    );
    run.code(0).no_panic();
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: -w 200 needs about 250 open files; the limit is 64: use -p 15 -w 14 or raise ulimit -n"
        ],
        "{run}"
    );
    assert!(run.stdout.contains("*** Bye ***"), "{run}");

    let json = read_json(&path);
    let get = &json["requests"]["GET /"];
    let files = get["errors"]["files"].as_u64().unwrap_or(0);
    assert!(files > 0, "no failure of kind files: {json}");
    let errors = get["errors"].as_object().unwrap();
    assert_eq!(errors.len(), 1, "only files failures expected: {errors:?}");
    assert!(
        !errors.contains_key("connect"),
        "out of files is not a connect failure"
    );
    assert_eq!(json["scenarios"]["ok"]["errors"]["files"], files, "{json}");
    // Every response the target sent was counted, and every run is a success or a failure.
    let responses = get["statuses"]["200"].as_u64().unwrap();
    assert!(responses > 0, "some workers got a connection: {json}");
    assert_eq!(responses, server.requests_to("/"), "{json}");
    assert_eq!(get["successes"].as_u64(), Some(responses), "{json}");
    assert_eq!(get["failures"].as_u64(), Some(files), "{json}");
    let runs = |v: &Value| v["successes"].as_u64().unwrap() + v["failures"].as_u64().unwrap();
    assert_eq!(runs(&json), responses + files, "{json}");
    assert_eq!(json["cancelled"], 0, "{json}");
}

#[test]
fn within_the_limit_there_is_no_warning() {
    let server = target();
    let run = under_limit(
        256,
        testbed().at(&server).args(["-w", "4", "-r", "2", "-c"]),
    );
    run.code(0).stdout_has(&["SUCCESSES: 8 | FAILURES: 0"]);
    assert!(!run.stderr.contains("warning:"), "{run}");
}

#[test]
fn with_p_the_limit_is_per_process() {
    let server = target();
    let run = under_limit(
        64,
        testbed()
            .at(&server)
            .args(["-p", "2", "-w", "100", "-d", "0.5", "-c"]),
    );
    run.code(0).no_panic();
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: -w 100 needs about 150 open files; the limit is 64: use -p 15 -w 14 or raise ulimit -n"
        ],
        "one warning, from the parent\n{run}"
    );
}
