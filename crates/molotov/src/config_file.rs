//! `--config molotov.json TEST`: options of a named test, read from Molotov's config file.
//!
//! The file is `{"molotov": {"env": {...}, "requirements": "...", "tests": {"NAME": {options}}}}`
//! where option keys are the command line's long names with underscores (`max_runs`). Options
//! given on the command line win over the file's; every value is type-checked and validated
//! like its command-line form, and an unknown key is an error rather than silently ignored.
//! `"env"` is set for the load test too (as `moloslave` does; 2.6's `--config` ignores it);
//! `"requirements"` is for `moloslave`, which installs them.

use std::path::Path;

use serde_json::{Map, Value};

use crate::args::{Args, Parsed};

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
    // The positional names the test; the test's own "scenario" (or the default) is the script.
    "loadtest.py".clone_into(&mut parsed.args.scenario);
    parsed.explicit.retain(|e| e != "scenario");
    parsed.configured = apply_test(&mut parsed.args, &parsed.explicit, test)
        .map_err(|e| ConfigError(format!("test {name:?} in {shown}: {e}")))?;
    Ok(())
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

/// Sets the test's options but those in `explicit`; the keys it set.
fn apply_test(
    args: &mut Args,
    explicit: &[String],
    test: &Map<String, Value>,
) -> Result<Vec<String>, String> {
    let mut set_keys = Vec::new();
    for (key, value) in test {
        if explicit.iter().any(|e| e == key) {
            continue;
        }
        set(args, key, value).map_err(|e| format!("{key:?} {e}"))?;
        set_keys.push(key.clone());
    }
    Ok(set_keys)
}

fn set(args: &mut Args, key: &str, v: &Value) -> Result<(), String> {
    match key {
        "scenario" => args.scenario = string(v)?,
        "single_run" => args.single_run = boolean(v)?,
        "single_mode" => args.single_mode = Some(string(v)?),
        "debug" => args.debug = boolean(v)?,
        "verbose" => args.verbose = u8::try_from(integer(v, 0)?).map_err(|_| "is too large")?,
        "workers" => args.workers = integer(v, 1)?,
        "ramp_up" => args.ramp_up = seconds(v, true)?,
        "sizing" => args.sizing = boolean(v)?,
        "sizing_tolerance" => args.sizing_tolerance = percent(v)?,
        "delay" => args.delay = seconds(v, true)?,
        "console_update" => args.console_update = seconds(v, false)?,
        "processes" => args.processes = integer(v, 1)?,
        "duration" => args.duration = seconds(v, false)?,
        "max_runs" => args.max_runs = Some(integer(v, 0)?),
        "quiet" => args.quiet = boolean(v)?,
        "exception" => args.exception = boolean(v)?,
        "fail" => args.fail = Some(integer(v, 1)?),
        "console" => args.console = boolean(v)?,
        "statsd" => args.statsd = boolean(v)?,
        "statsd_address" => args.statsd_address = string(v)?,
        "uvloop" => args.uvloop = boolean(v)?,
        "use_extension" => {
            args.use_extension = match v {
                Value::Array(items) => items.iter().map(string).collect::<Result<_, _>>()?,
                other => vec![string(other)?],
            };
        }
        "force_shutdown" => args.force_shutdown = boolean(v)?,
        "json" => args.json = Some(string(v)?.into()),
        "seed" => args.seed = Some(integer(v, 0)?),
        "connect_to" => {
            let items = match v {
                Value::Array(items) => items.iter().map(string).collect::<Result<Vec<_>, _>>()?,
                other => vec![string(other)?],
            };
            args.connect_to = items
                .iter()
                .map(|item| item.parse())
                .collect::<Result<_, _>>()?;
        }
        _ => return Err("is not a molotov option".to_owned()),
    }
    Ok(())
}

fn string(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("must be a string, not {v}"))
}

fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("must be true or false, not {v}"))
}

fn integer(v: &Value, min: u64) -> Result<u64, String> {
    match v.as_u64() {
        Some(n) if n >= min => Ok(n),
        _ => Err(format!("must be a whole number of at least {min}, not {v}")),
    }
}

fn seconds(v: &Value, zero_ok: bool) -> Result<f64, String> {
    match v.as_f64() {
        Some(s) if s.is_finite() && (s > 0.0 || (zero_ok && s == 0.0)) => Ok(s),
        _ if zero_ok => Err(format!("must be a number of seconds, 0 or more, not {v}")),
        _ => Err(format!("must be a number of seconds above 0, not {v}")),
    }
}

fn percent(v: &Value) -> Result<f64, String> {
    match v.as_f64() {
        Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("must be a percentage between 0 and 100, not {v}")),
    }
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
                "\"workers\" must be a whole number",
            ),
            (
                r#"{"molotov": {"tests": {"test": {"workers": "many"}}}}"#,
                "\"workers\" must be",
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
