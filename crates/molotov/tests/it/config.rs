//! `--config FILE TEST`: a named test's options from Molotov's config file.

use crate::support::{target, temp_file, testbed};

const CONFIG: &str = r#"{"molotov": {"env": {"SERVER": "x"}, "requirements": "r.txt", "tests": {
    "three": {"max_runs": 3, "workers": 2},
    "wrong_type": {"workers": "two"},
    "unknown_key": {"wrokers": 2},
    "quiet": {"max_runs": 1, "quiet": true}
}}}"#;

fn path(file: &tempfile::NamedTempFile) -> &str {
    file.path().to_str().unwrap()
}

#[test]
fn a_named_test_runs_with_its_options() {
    let server = target();
    let config = temp_file(CONFIG);
    let run = testbed()
        .at(&server)
        .args(["--config", path(&config), "three"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 6 | FAILURES: 0"]);
    assert_eq!(server.requests(), 6, "2 workers x 3 runs\n{run}");
}

#[test]
fn the_command_line_wins_over_the_config_file() {
    let server = target();
    let config = temp_file(CONFIG);
    let run = testbed()
        .at(&server)
        .args(["--config", path(&config), "three"])
        .args(["-w", "1"])
        .run();
    run.code(0).stdout_has(&["SUCCESSES: 3 | FAILURES: 0"]);
    assert_eq!(server.requests(), 3, "-w 1 x 3 runs\n{run}");
}

#[test]
fn a_config_file_can_make_the_run_quiet() {
    let server = target();
    let config = temp_file(CONFIG);
    let run = testbed()
        .at(&server)
        .args(["--config", path(&config), "quiet"])
        .run();
    run.code(0);
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run}");
    assert_eq!(server.requests(), 1);
}

/// Each mistake: exit 2, one `error:` line saying what is wrong, no load.
#[test]
fn config_mistakes_are_one_clear_error_line_and_exit_2() {
    let server = target();
    let good = temp_file(CONFIG);
    let not_json = temp_file("{\"molotov\": ");
    let no_tests = temp_file(r#"{"molotov": {}}"#);
    let missing = good.path().with_extension("missing.json");
    let cases = [
        (missing.as_path(), "three", "cannot read the config file"),
        (not_json.path(), "three", "not valid JSON"),
        (no_tests.path(), "three", "\"tests\""),
        (
            good.path(),
            "wrong_type",
            "\"workers\": two is not a whole number",
        ),
        (
            good.path(),
            "unknown_key",
            "\"wrokers\" is not a molotov option",
        ),
        (good.path(), "nope", "no test named \"nope\""),
    ];
    for (path, test, expected) in cases {
        let run = testbed()
            .at(&server)
            .args(["--config", path.to_str().unwrap(), test])
            .run();
        run.code(2);
        let line = run.one_error_line();
        assert!(
            line.contains(expected),
            "{test}: {line:?} should say {expected:?}"
        );
        assert!(run.stdout.is_empty(), "{run}");
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn without_a_test_name_the_test_called_test_runs_or_the_known_ones_are_listed() {
    let config = temp_file(CONFIG);
    let run = testbed().args(["--config", path(&config)]).run();
    run.code(2);
    let line = run.one_error_line();
    assert!(line.contains("no test named \"test\""), "{line}");
    assert!(line.contains("three"), "{line}");
}

#[test]
fn the_config_files_env_is_set_for_the_load_test() {
    // The testbed reads its server's address from MOLOTOV_TARGET, here set by the file only.
    let server = target();
    let config = temp_file(&format!(
        r#"{{"molotov": {{"env": {{"MOLOTOV_TARGET": "{}"}}, "tests": {{"two": {{"max_runs": 2}}}}}}}}"#,
        server.url("")
    ));
    let run = testbed().args(["--config", path(&config), "two"]).run();
    run.code(0).stdout_has(&["SUCCESSES: 2 | FAILURES: 0"]);
    assert_eq!(server.requests(), 2, "{run}");
}
