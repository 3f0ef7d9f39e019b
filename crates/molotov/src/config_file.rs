//! `--config molotov.json TEST`: options of a named test, read from Molotov's config file.
//!
//! The file is `{"molotov": {"env": {...}, "requirements": "...", "tests": {"NAME": {options}}}}`
//! where option keys are the command line's long names with underscores (`max_runs`). Options
//! given on the command line win over the file's. The file's options are written as command-line
//! arguments (with [`option_table`], derived from [`Args`]) and parsed with the command line
//! itself, so every option the command line has is a key here, validated the same way; an
//! unknown key is an error rather than silently ignored. `"env"` is set for the load test too
//! (as `moloslave` does; 2.6's `--config` ignores it); `"requirements"` is for `moloslave`,
//! which installs them.

use std::error::Error as _;
use std::ffi::OsString;
use std::path::Path;

use clap::{CommandFactory as _, FromArgMatches as _};
use serde_json::{Map, Value};

use crate::args::{Args, OptionKind, OptionSpec, Parsed, option_table};

/// A test's options could not be read or applied.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ConfigError(String);

/// Reads `path`, finds the test named by the positional argument (`"test"` when it was not
/// given), and applies its options to `parsed.args` except those given on the command line.
pub(crate) fn apply(parsed: &mut Parsed, path: &Path) -> Result<(), ConfigError> {
    let shown = path.display();
    let content = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read the config file {shown}: {e}")))?;
    let root: Value = serde_json::from_str(&content)
        .map_err(|e| ConfigError(format!("the config file {shown} is not valid JSON: {e}")))?;
    let molotov = root
        .get("molotov")
        .and_then(Value::as_object)
        .ok_or_else(|| ConfigError(format!("the config file {shown} has no \"molotov\" object")))?;
    parsed.env = environment(molotov.get("env"))
        .map_err(|e| ConfigError(format!("\"env\" in {shown}: {e}")))?;
    let tests = molotov
        .get("tests")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            ConfigError(format!(
                "the config file {shown} has no \"molotov\".\"tests\" object"
            ))
        })?;
    let name = if parsed.explicit.iter().any(|e| e == "scenario") {
        parsed.args.scenario.clone()
    } else {
        "test".to_owned()
    };
    let test = tests.get(&name).and_then(Value::as_object).ok_or_else(|| {
        let known: Vec<&str> = tests.keys().map(String::as_str).collect();
        ConfigError(format!(
            "no test named {name:?} in {shown} (tests: {})",
            known.join(", ")
        ))
    })?;
    apply_test(parsed, test).map_err(|e| ConfigError(format!("test {name:?} in {shown}: {e}")))
}

/// The `"env"` object: names to strings (numbers and booleans are written as JSON writes them).
fn environment(env: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let Some(env) = env else {
        return Ok(Vec::new());
    };
    let env = env
        .as_object()
        .ok_or("must be an object of names to values")?;
    env.iter()
        .map(|(name, value)| {
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(format!("{name:?} is not a variable name"));
            }
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                _ => return Err(format!("{name:?} must be a string, a number or a boolean")),
            };
            if value.contains('\0') {
                return Err(format!("{name:?} holds a NUL character"));
            }
            Ok((name.clone(), value))
        })
        .collect()
}

/// Parses the test's options (but those given on the command line) together with the command
/// line, and keeps the ids of those it set in `parsed.configured`.
fn apply_test(parsed: &mut Parsed, test: &Map<String, Value>) -> Result<(), String> {
    let table = option_table();
    let mut tokens: Vec<OsString> = Vec::new();
    let mut configured = Vec::new();
    let mut script = "loadtest.py".to_owned();
    for (key, value) in test {
        if key != "scenario" && parsed.explicit.iter().any(|e| e == key) {
            continue;
        }
        if key == "scenario" {
            // The positional names the test; the test's own "scenario" is the script.
            value
                .as_str()
                .ok_or_else(|| format!("\"scenario\" must be a string, not {value}"))?
                .clone_into(&mut script);
            configured.push(key.clone());
            continue;
        }
        let Some(spec) = table.iter().find(|spec| &spec.id == key) else {
            return Err(format!("{key:?} is not a molotov option"));
        };
        let own = arguments(spec, value).map_err(|e| format!("{key:?} {e}"))?;
        // Checked alone first, so that a bad value is blamed on its key.
        check(&own).map_err(|e| format!("{key:?}: {e}"))?;
        tokens.extend(own);
        configured.push(key.clone());
    }
    let mut command_line = parsed.argv.clone();
    // The program name, then the file's options, then the command line's.
    let rest = command_line.split_off(1.min(command_line.len()));
    command_line.extend(tokens);
    command_line.extend(rest);
    let matches = Args::command()
        .try_get_matches_from(&command_line)
        .map_err(|e| first_line(&e))?;
    let mut merged = Args::from_arg_matches(&matches).map_err(|e| first_line(&e))?;
    merged.scenario = script;
    parsed.explicit.retain(|e| e != "scenario");
    parsed.args = merged;
    parsed.configured = configured;
    Ok(())
}

/// The command-line arguments that give option `spec` the JSON `value`.
fn arguments(spec: &OptionSpec, value: &Value) -> Result<Vec<OsString>, String> {
    let with = |text: String| OsString::from(format!("{}={text}", spec.long));
    let scalar = |value: &Value| match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("must be a number or a string, not {other}")),
    };
    match spec.kind {
        OptionKind::Flag => match value {
            Value::Bool(true) => Ok(vec![spec.long.clone().into()]),
            Value::Bool(false) => Ok(Vec::new()),
            other => Err(format!("must be true or false, not {other}")),
        },
        OptionKind::Count => match value.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if n <= 8 => Ok(vec![spec.long.clone().into(); n]),
            _ => Err(format!("must be a whole number from 0 to 8, not {value}")),
        },
        OptionKind::Value => Ok(vec![with(scalar(value)?)]),
        OptionKind::List => {
            let items = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            items
                .into_iter()
                .map(|item| Ok(with(scalar(item)?)))
                .collect()
        }
    }
}

/// Parses `tokens` alone: `Err` with the reason a value is refused.
fn check(tokens: &[OsString]) -> Result<(), String> {
    let argv = std::iter::once(OsString::from("molotov")).chain(tokens.iter().cloned());
    match Args::command().try_get_matches_from(argv) {
        Ok(_) => Ok(()),
        Err(e) => Err(e
            .source()
            .map_or_else(|| first_line(&e), ToString::to_string)),
    }
}

/// Clap's first line, without its `error: ` prefix.
fn first_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let line = rendered.lines().next().unwrap_or("invalid options");
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(argv: &[&str]) -> Parsed {
        Args::parse_from_argv(std::iter::once("molotov").chain(argv.iter().copied())).unwrap()
    }

    fn write(json: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), json).unwrap();
        file
    }

    const CONFIG: &str = r#"{"molotov": {"env": {"A": "1"}, "requirements": "r.txt", "tests": {
        "smoke": {"duration": 1, "workers": 3, "scenario": "s.py", "console": true,
                  "use_extension": ["e.py"], "verbose": 1},
        "test": {"max_runs": 2}}}}"#;

    #[test]
    fn env_is_read_and_checked() {
        let file = write(CONFIG);
        let mut p = parsed(&["smoke"]);
        apply(&mut p, file.path()).unwrap();
        assert_eq!(p.env, [("A".to_owned(), "1".to_owned())]);
        let file = write(r#"{"molotov": {"env": {"N": 3, "B": true}, "tests": {"test": {}}}}"#);
        let mut p = parsed(&[]);
        apply(&mut p, file.path()).unwrap();
        assert_eq!(
            p.env,
            [("B".into(), "true".into()), ("N".into(), "3".into())]
        );
        for bad in [r#"{"A": [1]}"#, r#"{"A=B": "1"}"#, r#"["A"]"#] {
            let json = format!(r#"{{"molotov": {{"env": {bad}, "tests": {{"test": {{}}}}}}}}"#);
            let file = write(&json);
            let err = apply(&mut parsed(&[]), file.path()).unwrap_err();
            assert!(err.to_string().contains("\"env\""), "{err}");
        }
    }

    #[test]
    fn a_named_test_sets_options_and_the_command_line_wins() {
        let file = write(CONFIG);
        let mut p = parsed(&["-w", "5", "smoke"]);
        apply(&mut p, file.path()).unwrap();
        assert_eq!(p.args.workers, 5, "given on the command line");
        assert!((p.args.duration - 1.0).abs() < f64::EPSILON);
        assert_eq!(p.args.scenario, "s.py");
        assert!(p.args.console);
        assert_eq!(p.args.use_extension, ["e.py"]);
        assert_eq!(p.args.verbose, 1);
        assert!(p.configured.iter().any(|c| c == "use_extension"));
        assert!(!p.configured.iter().any(|c| c == "workers"));
    }

    #[test]
    fn every_option_of_the_command_line_is_a_key() {
        let file = write(
            r#"{"molotov": {"tests": {"test": {"percentiles": "50,99.9", "header": ["A: b", "C: d"],
               "connect_to": "a:1:b:2", "force_shutdown": true, "quiet": false, "verbose": 2}}}}"#,
        );
        let mut p = parsed(&["-H", "X: y"]);
        apply(&mut p, file.path()).unwrap();
        assert_eq!(p.args.results.percentiles.to_string(), "50,99.9");
        assert_eq!(
            p.args.header,
            ["X: y"],
            "the command line's list wins whole"
        );
        assert_eq!(p.args.connect_to.len(), 1);
        assert!(p.args.force_shutdown && !p.args.quiet);
        assert_eq!(p.args.verbose, 2);
    }

    #[test]
    fn without_a_name_the_test_called_test_runs() {
        let file = write(CONFIG);
        let mut p = parsed(&[]);
        apply(&mut p, file.path()).unwrap();
        assert_eq!(p.args.max_runs, Some(2));
        assert_eq!(p.args.scenario, "loadtest.py");
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("not json", "not valid JSON"),
            ("{}", "no \"molotov\" object"),
            (r#"{"molotov": {}}"#, "no \"molotov\".\"tests\""),
            (
                r#"{"molotov": {"tests": {"test": {"workers": 0}}}}"#,
                "\"workers\": 0 is not a whole number of at least 1",
            ),
            (
                r#"{"molotov": {"tests": {"test": {"workers": "many"}}}}"#,
                "\"workers\": many is not a whole number",
            ),
            (
                r#"{"molotov": {"tests": {"test": {"quiet": 1}}}}"#,
                "\"quiet\" must be true or false",
            ),
            (
                r#"{"molotov": {"tests": {"test": {"workers": [1]}}}}"#,
                "\"workers\" must be a number or a string",
            ),
            (
                r#"{"molotov": {"tests": {"test": {"wrokers": 2}}}}"#,
                "\"wrokers\" is not a molotov option",
            ),
            (
                r#"{"molotov": {"tests": {"other": {}}}}"#,
                "no test named \"test\"",
            ),
        ];
        for (json, expected) in cases {
            let file = write(json);
            let err = apply(&mut parsed(&[]), file.path())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
        let err = apply(&mut parsed(&[]), Path::new("/nonexistent/molotov.json")).unwrap_err();
        assert!(err.to_string().contains("cannot read the config file"));
    }
}
