//! `--json FILE`: the results as a versioned JSON document (see `docs/results-format.md`).
//!
//! The `scenarios` and `requests` maps are `molotov_stats::Report`'s, histograms included, so
//! results of several processes or machines can be merged exactly later.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use molotov_core::stats::{EntryReport, REPORT_FORMAT};
use molotov_core::{StopCause, Summary};
use serde::Serialize;

use crate::sizing::SizingOutcome;

#[derive(Serialize)]
struct Results<'a> {
    format: u32,
    tool: &'static str,
    version: &'static str,
    /// Seconds since the Unix epoch when the file was written.
    finished_at: f64,
    elapsed_seconds: f64,
    processes: usize,
    max_workers: usize,
    stop: Option<&'static str>,
    successes: u64,
    failures: u64,
    cancelled: u64,
    crashed_processes: usize,
    seed: u64,
    fixture_failures: Vec<FixtureFailure<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sizing: Option<&'a SizingOutcome>,
    scenarios: &'a std::collections::BTreeMap<String, EntryReport>,
    requests: &'a std::collections::BTreeMap<String, EntryReport>,
}

#[derive(Serialize)]
struct FixtureFailure<'a> {
    fixture: &'static str,
    worker: Option<usize>,
    message: &'a str,
}

/// The results file, created before the run so that a path that cannot be written is an
/// error before any load is sent.
pub(crate) struct ResultsFile {
    path: PathBuf,
    file: File,
}

/// Creates (or truncates) the results file at `path`.
pub(crate) fn create(path: &Path) -> std::io::Result<ResultsFile> {
    let file = File::create(path)?;
    Ok(ResultsFile {
        path: path.to_owned(),
        file,
    })
}

impl ResultsFile {
    /// Where the results go.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the results of `summary`.
    pub(crate) fn write(
        mut self,
        summary: &Summary,
        processes: usize,
        sizing: Option<&SizingOutcome>,
    ) -> std::io::Result<()> {
        let text = render(summary, processes, sizing)?;
        self.file.write_all(text.as_bytes())
    }
}

/// The results of `summary` as a JSON document.
fn render(
    summary: &Summary,
    processes: usize,
    sizing: Option<&SizingOutcome>,
) -> std::io::Result<String> {
    let finished_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let results = Results {
        format: REPORT_FORMAT,
        tool: "molotov",
        version: env!("CARGO_PKG_VERSION"),
        finished_at,
        elapsed_seconds: summary.elapsed.as_secs_f64(),
        processes,
        max_workers: summary.max_workers,
        stop: summary.stop.map(StopCause::name),
        successes: summary.successes(),
        failures: summary.failures(),
        cancelled: summary.cancelled,
        crashed_processes: summary.crashed_processes,
        seed: summary.seed,
        fixture_failures: summary
            .fixture_failures
            .iter()
            .map(|f| FixtureFailure {
                fixture: f.fixture.name(),
                worker: f.worker,
                message: &f.message,
            })
            .collect(),
        sizing,
        scenarios: &summary.report.scenarios,
        requests: &summary.report.requests,
    };
    let mut text = serde_json::to_string_pretty(&results).map_err(std::io::Error::other)?;
    text.push('\n');
    Ok(text)
}
