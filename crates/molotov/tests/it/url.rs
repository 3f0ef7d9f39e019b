//! One-URL mode (`molotov http://host/path`), with the `molotov` binary of the crate: exact
//! counts, the request options as the server saw them, the summary's histogram, mistakes.

use crate::support::{Molotov, refused_url, target};

/// The crate's `molotov` binary (URLs only).
fn molotov() -> Molotov {
    Molotov::binary(env!("CARGO_BIN_EXE_molotov"))
}

#[test]
fn a_url_is_loaded_with_exact_counts_and_a_histogram() {
    let server = target();
    let (run, results) = molotov()
        .args(["-w", "4", "-r", "25", "-c"])
        .args([server.url("/")])
        .run_with_results();
    run.code(0)
        .no_panic()
        .stdout_in_order(&["Response time histogram:", "SUCCESSES: 100 | FAILURES: 0"]);
    assert_eq!(server.requests_to("/"), 100);
    let scenario = format!("GET {}", server.url("/"));
    assert_eq!(
        results["scenarios"][&scenario]["successes"], 100,
        "{results}"
    );
    assert_eq!(results["requests"]["GET /"]["statuses"]["200"], 100);
    // The chart's rows add up to every response.
    let charted: u64 = run
        .stdout
        .lines()
        .skip_while(|l| *l != "Response time histogram:")
        .skip(1)
        .take_while(|l| l.contains('['))
        .map(|l| {
            l.split(['[', ']'])
                .nth(1)
                .unwrap()
                .trim()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(charted, 100, "{run}");
}

#[test]
fn method_headers_and_body_reach_the_server() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"from": "a file"}"#).unwrap();
    let run = molotov()
        .args(["-w", "1", "-r", "1", "-c", "-vv", "-m", "put"])
        .args(["-H", "X-One: 1", "-H", "X-Two: two words"])
        .arg(format!("--body=@{}", body.display()))
        .arg(server.url("/echo?q=1"))
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 1 | FAILURES: 0"]);
    assert_eq!(server.requests_to("/echo"), 1);
    // `-vv` shows the response: the server's echo of what it received.
    let echoed = run
        .stdout
        .lines()
        .find(|l| l.starts_with('{') && l.contains("\"method\""))
        .unwrap_or_else(|| panic!("no echo in the output:\n{run}"));
    let echoed: serde_json::Value = serde_json::from_str(echoed).unwrap();
    assert_eq!(echoed["method"], "PUT");
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["query"], "q=1");
    assert_eq!(echoed["headers"]["x-one"], "1");
    assert_eq!(echoed["headers"]["x-two"], "two words");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], r#"{"from": "a file"}"#);

    let run = molotov()
        .args([
            "-w", "1", "-r", "1", "-c", "-vv", "-m", "POST", "--body", "a=1",
        ])
        .args(["--content-type", "application/x-www-form-urlencoded"])
        .arg(server.url("/echo"))
        .run();
    run.code(0);
    assert!(
        run.stdout
            .contains(r#""content-type":"application/x-www-form-urlencoded""#),
        "{run}"
    );
    assert!(run.stdout.contains(r#""body":"a=1""#), "{run}");
}

#[test]
fn error_statuses_fail_the_runs_and_are_counted() {
    let server = target();
    let (run, results) = molotov()
        .args(["-w", "2", "-r", "5", "-c"])
        .arg(server.url("/status/503"))
        .run_with_results();
    run.code(0).stdout_has(&[
        "SUCCESSES: 0 | FAILURES: 10",
        "Every run failed: bad-status: 503 Service Unavailable",
    ]);
    let scenario = format!("GET {}", server.url("/status/503"));
    assert_eq!(results["scenarios"][&scenario]["errors"]["bad-status"], 10);
    assert_eq!(
        results["requests"]["GET /status/503"]["statuses"]["503"],
        10
    );
    assert_eq!(server.requests_to("/status/503"), 10);
}

#[test]
fn mistakes_are_one_error_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["http://"], "is not a URL"),
        (&["-m", "GE T", "http://127.0.0.1:1/"], "not an HTTP method"),
        (&["-H", "nocolon", "http://127.0.0.1:1/"], "not a header"),
        (
            &["--body", "@/nonexistent", "http://127.0.0.1:1/"],
            "cannot read the file",
        ),
        (&["loadtest.py"], "is not a URL"),
        (
            &["--percentiles", "0", "http://127.0.0.1:1/"],
            "--percentiles",
        ),
    ];
    for (args, expected) in cases {
        let run = molotov().args(*args).args(["-r", "1"]).run();
        run.code(2);
        let line = run.one_error_line();
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}

#[test]
fn molotov_alone_prints_a_short_usage_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = molotov().current_dir(dir.path()).run();
    run.code(2);
    assert!(run.stdout.is_empty(), "{run}");
    for text in ["usage: molotov", "SCRIPT", "URL", "http://", "--help"] {
        assert!(run.stderr.contains(text), "{text}: {run}");
    }
    assert!(run.stderr.lines().count() < 12, "short: {run}");
}

#[test]
fn a_refused_url_says_once_that_every_run_fails() {
    let url = format!("{}/", refused_url());
    let run = molotov().args(["-w", "2", "-d", "3", "-c"]).arg(&url).run();
    run.code(0);
    let line = "every run is failing: connect: cannot connect (127.0.0.1:";
    assert_eq!(run.stdout.matches(line).count(), 1, "{run}");
    run.stdout_has(&[
        "(-f 1 makes such a run exit with code 1)",
        "Every run failed: connect: cannot connect (127.0.0.1:",
        "(-f 1 makes the exit code 1 when a run fails)",
    ]);
    // No latency reads like a response time: the columns of the failures are empty.
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("GET /  "))
        .unwrap_or_else(|| panic!("no request row:\n{run}"));
    assert!(row.contains(" -  "), "{row}");
    let run = molotov()
        .args(["-w", "1", "-r", "3", "-c", "-f", "1"])
        .arg(&url)
        .run();
    run.code(1);
    assert!(!run.stdout.contains("-f 1 makes"), "-f was given: {run}");
}

#[test]
fn http2_sends_every_request_as_a_stream_of_one_connection_per_worker() {
    let server = target();
    let (run, results) = molotov()
        .args(["-w", "3", "-r", "40", "-c", "--http2"])
        .args([server.url("/")])
        .run_with_results();
    run.code(0).stdout_has(&["SUCCESSES: 120 | FAILURES: 0"]);
    assert_eq!(server.http2_requests(), 120);
    assert_eq!(server.requests(), 120);
    assert_eq!(server.connections(), 3);
    assert_eq!(results["requests"]["GET /"]["statuses"]["200"], 120);
}
