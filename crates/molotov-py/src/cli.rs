//! The console scripts: `molotov` (Molotov's command line, scripts loaded by Python),
//! `molotov-target` (the bundled server) and `molotov-report` (results files merged).

use molotov::{Host, OptionKind, Settings};
use pyo3::prelude::*;

use crate::{gil, plan};

/// `molotov ARGS...`: runs a Molotov script; returns the exit code.
#[pyfunction]
pub(crate) fn main(_held: Python<'_>, argv: Vec<String>) -> u8 {
    // The GIL (which `_held` proves this thread has) stays held while the engine runs, and is
    // released whenever the engine's thread sleeps (see `gil`): threads the script starts run
    // then.
    molotov::run_with_hooks(argv, Host::Python, &gil::host_hooks(), load).code()
}

fn load(settings: &Settings) -> anyhow::Result<molotov::Plan> {
    Python::attach(|py| {
        if settings.uvloop && py.import("uvloop").is_err() {
            anyhow::bail!("--uvloop needs the uvloop package: pip install uvloop");
        }
        plan::build(py, settings).map_err(|e| anyhow::anyhow!(describe(py, &e)))
    })
}

/// One line for a loading error: the loader's message, or `Class: message`.
fn describe(py: Python<'_>, error: &PyErr) -> String {
    let class = error
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
    let message = error.value(py).to_string();
    if class == "LoadError" || class == "MolotovError" {
        message
    } else {
        format!("{class}: {message}")
    }
}

/// `molotov-report ARGS...`: merges results files; returns the exit code.
#[pyfunction]
pub(crate) fn report_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| molotov::report_main(argv).code())
}

/// The options of the command line, as `(id, long option, kind)` with kind one of `"flag"`,
/// `"count"`, `"value"`, `"list"`: what `moloslave` turns a test's options into arguments with.
#[pyfunction]
pub(crate) fn option_table() -> Vec<(String, String, &'static str)> {
    molotov::option_table()
        .into_iter()
        .map(|spec| {
            let kind = match spec.kind {
                OptionKind::Flag => "flag",
                OptionKind::Count => "count",
                OptionKind::Value => "value",
                OptionKind::List => "list",
            };
            (spec.id, spec.long, kind)
        })
        .collect()
}

/// `molotov-target ARGS...`: runs the bundled server; returns the exit code.
#[pyfunction]
pub(crate) fn target_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| molotov_target::cli_status(argv))
}
