//! `--json FILE`: the results as a versioned JSON document (see `docs/results-format.md`).
//!
//! The `scenarios` and `requests` maps are `molotov_stats::Report`'s, histograms included, so
//! results of several processes or machines can be merged exactly later.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use std::collections::BTreeMap;

use molotov_core::stats::{EntryReport, Latency, REPORT_FORMAT, Timeline};
use molotov_core::{ArrivalSummary, GeneratorLoad, StopCause, Summary};
use serde::Serialize;
use serde::ser::{SerializeMap as _, Serializer};

use crate::percentiles::Percentiles;
use crate::shard::Shard;
use crate::sizing::SizingOutcome;
use crate::threshold::Verdict;

#[derive(Serialize)]
struct Results<'a> {
    format: u32,
    tool: &'static str,
    version: &'static str,
    /// Seconds since the Unix epoch when the load started (`null` if it did not).
    started_at: Option<f64>,
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
    /// The open model's schedule and what became of it (top-level fields).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    arrivals: Option<ArrivalsJson<'a>>,
    scenarios: Entries<'a>,
    requests: Entries<'a>,
    /// The run second by second (or per longer interval for long runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<&'a Timeline>,
    /// The web sockets by name: opened, closed, failures, messages and bytes, open durations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    websockets: &'a BTreeMap<String, molotov_core::stats::SocketReport>,
    /// The `--threshold`s' verdicts.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    thresholds: &'a [Verdict],
    /// How busy the load generator's threads were.
    #[serde(skip_serializing_if = "Option::is_none")]
    generator: Option<&'a GeneratorLoad>,
    /// A shard's index and the shard count.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a str>,
}

/// Entries written with the run's percentiles as derived latency fields.
struct Entries<'a> {
    map: &'a BTreeMap<String, EntryReport>,
    percentiles: &'a Percentiles,
    /// Request entries also say what they moved (bytes, retries).
    requests: bool,
}

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.map.len()))?;
        for (name, entry) in self.map {
            map.serialize_entry(
                name,
                &EntryJson {
                    entry,
                    percentiles: self.percentiles,
                    request: self.requests,
                },
            )?;
        }
        map.end()
    }
}

struct EntryJson<'a> {
    entry: &'a EntryReport,
    percentiles: &'a Percentiles,
    request: bool,
}

impl Serialize for EntryJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.entry;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("successes", &e.successes)?;
        map.serialize_entry("failures", &e.failures)?;
        map.serialize_entry("statuses", &e.statuses)?;
        map.serialize_entry("errors", &e.errors)?;
        if !e.error_samples.is_empty() {
            map.serialize_entry("error_samples", &e.error_samples)?;
        }
        if self.request {
            map.serialize_entry("retries", &e.transfer.retries)?;
            map.serialize_entry("received_bytes", &e.transfer.received_bytes)?;
            map.serialize_entry("body_bytes", &e.transfer.body_bytes)?;
        }
        let latency = |latency| LatencyJson {
            latency,
            percentiles: self.percentiles,
        };
        map.serialize_entry("latency", &latency(&e.latency))?;
        if let Some(failed) = &e.failed_latency {
            map.serialize_entry("failed_latency", &latency(failed))?;
        }
        if let Some(service) = &e.service_latency {
            map.serialize_entry("service_latency", &latency(service))?;
        }
        map.end()
    }
}

/// A histogram: its buckets (what readers merge) and fields derived from them.
struct LatencyJson<'a> {
    latency: &'a Latency,
    percentiles: &'a Percentiles,
}

impl Serialize for LatencyJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let l = self.latency;
        let us = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("count", &l.count())?;
        map.serialize_entry("min_us", &us(l.min()))?;
        map.serialize_entry("mean_us", &(l.mean().as_secs_f64() * 1e6))?;
        for &p in self.percentiles.values() {
            map.serialize_entry(&Percentiles::json_key(p), &us(l.percentile(p)))?;
        }
        map.serialize_entry("max_us", &us(l.max()))?;
        let buckets: Vec<(u64, u64)> = l.buckets().collect();
        map.serialize_entry("buckets", &buckets)?;
        map.end()
    }
}

#[derive(Serialize)]
struct ArrivalsJson<'a> {
    /// The schedule's average rate, runs per second.
    target_rate: f64,
    scheduled: u64,
    started: u64,
    late: u64,
    dropped: u64,
    max_lag_us: u64,
    /// How late the runs started after their due times.
    start_lag: LatencyJson<'a>,
}

impl<'a> ArrivalsJson<'a> {
    fn new(a: &'a ArrivalSummary, percentiles: &'a Percentiles) -> Self {
        ArrivalsJson {
            target_rate: a.target_rate,
            scheduled: a.scheduled,
            started: a.started,
            late: a.late,
            dropped: a.dropped,
            max_lag_us: u64::try_from(a.max_lag().as_micros()).unwrap_or(u64::MAX),
            start_lag: LatencyJson {
                latency: &a.lag,
                percentiles,
            },
        }
    }
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

    /// Writes the results (as [`render`] made them).
    pub(crate) fn write(mut self, text: &str) -> std::io::Result<()> {
        self.file.write_all(text.as_bytes())
    }
}

/// What the results say besides the [`Summary`].
pub(crate) struct Written<'a> {
    pub(crate) processes: usize,
    pub(crate) sizing: Option<&'a SizingOutcome>,
    pub(crate) percentiles: &'a Percentiles,
    pub(crate) verdicts: &'a [Verdict],
    /// The part of a sharded run these results are.
    pub(crate) shard: Option<Shard>,
    /// The plan's hash (scenarios, weights, the options that shape the load).
    pub(crate) plan: Option<&'a str>,
    /// On one line (for `--results-stdout`) rather than indented.
    pub(crate) one_line: bool,
}

/// The results of `summary` as a JSON document.
pub(crate) fn render(summary: &Summary, written: &Written<'_>) -> std::io::Result<String> {
    let Written {
        processes,
        sizing,
        percentiles,
        verdicts,
        shard,
        plan,
        one_line,
    } = *written;
    let finished_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let results = Results {
        format: REPORT_FORMAT,
        tool: "molotov",
        version: env!("CARGO_PKG_VERSION"),
        started_at: summary.started_at.map(unix_seconds),
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
        arrivals: summary
            .arrivals
            .as_ref()
            .map(|a| ArrivalsJson::new(a, percentiles)),
        scenarios: Entries {
            map: &summary.report.scenarios,
            percentiles,
            requests: false,
        },
        requests: Entries {
            map: &summary.report.requests,
            percentiles,
            requests: true,
        },
        timeline: summary.report.timeline.as_ref(),
        websockets: &summary.report.websockets,
        thresholds: verdicts,
        generator: summary.generator.as_ref(),
        shard,
        plan,
    };
    let text = if one_line {
        serde_json::to_string(&results)
    } else {
        serde_json::to_string_pretty(&results)
    };
    let mut text = text.map_err(std::io::Error::other)?;
    text.push('\n');
    Ok(text)
}

/// A wall-clock time in Unix seconds.
pub(crate) fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Unix seconds read back (from a file, a pipe) as a wall-clock time; `None` when they are not
/// one (negative, not finite, beyond the clock).
pub(crate) fn from_unix_seconds(seconds: f64) -> Option<SystemTime> {
    std::time::Duration::try_from_secs_f64(seconds)
        .ok()
        .and_then(|d| UNIX_EPOCH.checked_add(d))
}
