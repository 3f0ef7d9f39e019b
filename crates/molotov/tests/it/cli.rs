//! The command line itself: help, version, and mistakes refused before any load is sent.

use crate::support::{target, testbed};

const OPTIONS: &[&str] = &[
    "--single-run",
    "-s, --single-mode",
    "--config",
    "--version",
    "--debug",
    "-v, --verbose",
    "-w, --workers",
    "--ramp-up",
    "--sizing",
    "--sizing-tolerance",
    "--delay",
    "--console-update",
    "-p, --processes",
    "-d, --duration",
    "-r, --max-runs",
    "-q, --quiet",
    "-x, --exception",
    "-f, --fail",
    "-c, --console",
    "--statsd",
    "--statsd-address",
    "--uvloop",
    "--use-extension",
    "--force-shutdown",
    "--json",
];

#[test]
fn help_lists_every_molotov_option_and_exits_0() {
    let run = testbed().args(["--help"]).run();
    run.code(0).stdout_has(OPTIONS);
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn short_help_lists_every_molotov_option_too() {
    let run = testbed().args(["-h"]).run();
    run.code(0).stdout_has(OPTIONS);
}

#[test]
fn version_prints_the_version_and_exits_0() {
    let run = testbed().args(["--version"]).run();
    run.code(0)
        .stdout_has(&[concat!("molotov ", env!("CARGO_PKG_VERSION"))]);
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
}

/// Each bad command line: exit 2, one `error:` line, nothing on stdout, no request sent.
#[test]
fn bad_values_are_one_error_line_and_exit_2() {
    let server = target();
    let cases: &[(&[&str], &str)] = &[
        (&["-w", "0"], "--workers"),
        (&["-d", "-1"], "-1"),
        (&["-d", "abc"], "abc"),
        (&["-d", "0"], "--duration"),
        (&["-r", "-1"], "-1"),
        (&["-r", "many"], "many"),
        (&["-f", "0"], "--fail"),
        (&["--ramp-up", "soon"], "soon"),
        (&["--sizing-tolerance", "150"], "150"),
        (&["-q", "-v"], "--quiet"),
        (&["-s", "ok", "--single-run"], "--single-run"),
        (&["--no-such-option"], "--no-such-option"),
    ];
    for (args, named) in cases {
        let run = testbed().at(&server).args(*args).args(["-r", "1"]).run();
        run.code(2);
        let line = run.one_error_line();
        assert!(
            line.contains(named),
            "{args:?}: {line:?} should name {named:?}"
        );
        assert!(run.stdout.is_empty(), "{args:?}\n{run}");
    }
    assert_eq!(
        server.requests(),
        0,
        "no load is sent for a bad command line"
    );
}

#[test]
fn a_negative_number_is_refused_as_a_value_not_as_an_unknown_option() {
    let run = testbed().args(["-d", "-1"]).run();
    run.code(2);
    let line = run.one_error_line();
    assert!(!line.contains("unexpected argument"), "{line}");
    assert!(line.contains("--duration"), "{line}");
}

#[test]
fn a_count_below_one_is_explained_in_words() {
    for option in ["-w", "-p", "-f"] {
        let run = testbed().args([option, "0"]).run();
        run.code(2);
        let line = run.one_error_line();
        assert!(line.contains("at least 1"), "{option} 0: {line}");
        assert!(!line.contains("18446744073709551615"), "{option} 0: {line}");
    }
}

#[test]
fn an_unknown_single_mode_scenario_names_the_known_ones() {
    let server = target();
    let run = testbed()
        .at(&server)
        .scenarios("ok,fail")
        .args(["-s", "unknown", "-r", "1"])
        .run();
    run.code(2);
    let line = run.one_error_line();
    for text in ["unknown", "ok", "fail"] {
        assert!(line.contains(text), "{line:?} should name {text:?}");
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn python_only_options_are_accepted_with_a_warning() {
    let server = target();
    let run = testbed()
        .at(&server)
        .args([
            "--uvloop",
            "--debug",
            "--use-extension",
            "ext.py",
            "-r",
            "1",
            "script.py",
        ])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 1 | FAILURES: 0"]);
    for what in [
        "--uvloop",
        "--debug",
        "--use-extension",
        "the scenario argument",
    ] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with("warning: ") && l.contains(what)),
            "no warning about {what}\n{run}"
        );
    }
    assert_eq!(server.requests(), 1);
}

#[test]
fn an_unwritable_results_file_is_refused_before_any_load() {
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-directory").join("results.json");
    let run = testbed()
        .at(&server)
        .args(["-r", "1", "--json", path.to_str().unwrap()])
        .run();
    run.code(2);
    let line = run.one_error_line();
    assert!(line.contains("cannot write the results"), "{line}");
    assert_eq!(server.requests(), 0, "{run}");
}
