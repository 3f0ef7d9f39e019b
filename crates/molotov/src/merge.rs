//! `molotov-report FILE...`: merges `--json` results files (of processes, machines, shards)
//! exactly, prints the summary, writes the reports and evaluates thresholds, with the exit
//! codes of a run. A file is a path, or `-` for standard input (one or more JSON documents).
//!
//! Results of different formats or of different tests (other scenario names) are refused
//! with one line, exit 2.

use std::ffi::OsString;
use std::io::Read as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use molotov_core::stats::{Latency, REPORT_FORMAT, Report};
use molotov_core::{ArrivalSummary, Fixture, FixtureFailure, StopCause, Summary};
use serde::Deserialize;
use serde_json::Value;

use crate::args::ResultsOptions;
use crate::display::{eprint_line, print_stdout};
use crate::exit::ExitStatus;
use crate::render;
use crate::shard::Shard;
use crate::threshold::{self, Observed, Thresholds};

/// `molotov-report`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "molotov-report",
    version,
    about = "Merges molotov --json results files exactly, prints the summary, writes reports and evaluates thresholds"
)]
struct ReportArgs {
    /// Results files written by `molotov --json` (`-` reads JSON documents from standard input)
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,

    #[command(flatten)]
    results: ResultsOptions,
}

/// The line before a results document printed by `--results-stdout`.
pub(crate) const BEGIN: &str = "--- molotov results begin ---";
/// The line after it.
pub(crate) const END: &str = "--- molotov results end ---";

/// `text` (a results document) on one line between the marker lines.
pub(crate) fn marked(text: &str) -> String {
    let one_line = serde_json::from_str::<Value>(text)
        .map_or_else(|_| text.replace('\n', " "), |v| v.to_string());
    format!("{BEGIN}\n{one_line}\n{END}\n")
}

/// The documents between marker lines in `text` (as `kubectl logs` of many pods prints them,
/// a pod's lines possibly prefixed, `--prefix`); `None` when it holds no marker.
fn between_markers(text: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(at) = line.find(BEGIN) {
            open = Some((line[..at].to_owned(), String::new()));
        } else if let Some((prefix, body)) = &mut open {
            if line.contains(END) {
                found.push(std::mem::take(body));
                open = None;
            } else {
                body.push_str(line.strip_prefix(prefix.as_str()).unwrap_or(line));
                body.push('\n');
            }
        }
    }
    (!found.is_empty() || text.contains(BEGIN)).then_some(found)
}

/// One results document, as `molotov --json` writes it (the fields a merge needs).
#[derive(Deserialize)]
struct Document {
    format: u32,
    #[serde(default)]
    elapsed_seconds: f64,
    #[serde(default)]
    processes: usize,
    #[serde(default)]
    max_workers: usize,
    #[serde(default)]
    stop: Option<String>,
    #[serde(default)]
    cancelled: u64,
    #[serde(default)]
    crashed_processes: usize,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    fixture_failures: Vec<FixtureDocument>,
    target_rate: Option<f64>,
    #[serde(default)]
    scheduled: u64,
    #[serde(default)]
    started: u64,
    #[serde(default)]
    late: u64,
    #[serde(default)]
    dropped: u64,
    start_lag: Option<Latency>,
    started_at: Option<f64>,
    shard: Option<Shard>,
    plan: Option<String>,
}

#[derive(Deserialize)]
struct FixtureDocument {
    fixture: String,
    worker: Option<usize>,
    #[serde(default)]
    message: String,
}

/// A results document read, with where it came from.
pub(crate) struct Loaded {
    pub(crate) source: String,
    pub(crate) shard: Option<Shard>,
    pub(crate) plan: Option<String>,
    pub(crate) summary: Summary,
    pub(crate) processes: usize,
}

/// Runs `molotov-report` with `argv` (program name first); the exit status.
pub fn report_main<I, T>(argv: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let options = match ReportArgs::try_parse_from(&argv) {
        Ok(parsed) => parsed,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitStatus::Success;
            }
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("error: invalid arguments");
            eprint_line(&format!("{first} (see --help)"));
            return ExitStatus::Usage;
        }
    };
    match merge_and_report(&options, &crate::settings::command_line(&argv)) {
        Ok(status) => status,
        Err(e) => {
            eprint_line(&format!("error: {e:#}"));
            ExitStatus::Usage
        }
    }
}

fn merge_and_report(args: &ReportArgs, command: &str) -> anyhow::Result<ExitStatus> {
    let thresholds = Thresholds::parse(&args.results.thresholds)?;
    let mut loaded = Vec::new();
    for file in &args.files {
        loaded.extend(load(file)?);
    }
    let (summary, processes) = merge(&loaded)?;
    let names: Vec<&str> = summary
        .report
        .scenarios
        .keys()
        .map(String::as_str)
        .collect();
    thresholds.check_scenarios(&names)?;
    let verdicts = thresholds.evaluate(&Observed {
        report: &summary.report,
        elapsed: summary.elapsed,
    });
    crate::outputs::write_files(
        &summary,
        processes,
        &verdicts,
        &args.results.percentiles,
        &crate::outputs::Files {
            json: args.results.json.as_deref(),
            junit: args.results.junit.as_deref(),
            html: args.results.html.as_deref(),
        },
        &crate::outputs::Meta {
            title: &format!("{} results merged", loaded.len()),
            command,
            plan: loaded.first().and_then(|l| l.plan.as_deref()),
        },
    )
    .map_err(anyhow::Error::msg)?;
    let style = render::SummaryStyle {
        processes,
        percentiles: &args.results.percentiles,
        chart: false,
        fail_given: false,
        max_workers: None,
    };
    print_stdout(&format!(
        "Merged {} results ({} processes)\n{}{}",
        loaded.len(),
        processes,
        render::summary(&summary, &style),
        threshold::summary(&verdicts)
    ));
    let failed = verdicts.iter().any(|v| !v.passed);
    Ok(ExitStatus::of(&summary, None, failed))
}

/// The documents of `file` (`-`: standard input, which may hold several).
pub(crate) fn load(file: &str) -> anyhow::Result<Vec<Loaded>> {
    let (text, source) = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        (text, "standard input".to_owned())
    } else {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
        (text, file.to_owned())
    };
    let mut loaded = Vec::new();
    let marked = between_markers(&text);
    let documents: Box<dyn Iterator<Item = Result<Value, serde_json::Error>>> = match &marked {
        Some(found) => Box::new(found.iter().map(|d| serde_json::from_str(d))),
        None => Box::new(serde_json::Deserializer::from_str(&text).into_iter::<Value>()),
    };
    for (n, value) in documents.enumerate() {
        let place = if n == 0 {
            source.clone()
        } else {
            format!("{source} (document {})", n + 1)
        };
        let value = value.with_context(|| format!("{place} is not JSON results"))?;
        loaded.push(document(value, place)?);
    }
    if loaded.is_empty() {
        bail!("{source} holds no results");
    }
    Ok(loaded)
}

fn document(value: Value, source: String) -> anyhow::Result<Loaded> {
    if value.get("tool").and_then(Value::as_str) != Some("molotov") {
        bail!("{source} is not a molotov results file (no \"tool\": \"molotov\")");
    }
    let meta: Document = serde_json::from_value(value.clone())
        .with_context(|| format!("{source} is not molotov results"))?;
    if meta.format != REPORT_FORMAT {
        bail!(
            "{source} is in results format {}, this molotov reads format {REPORT_FORMAT} \
             (written by another version)",
            meta.format
        );
    }
    let report: Report = serde_json::from_value(value)
        .with_context(|| format!("{source} has unreadable scenarios or requests"))?;
    let arrivals = meta.target_rate.map(|target_rate| ArrivalSummary {
        scheduled: meta.scheduled,
        started: meta.started,
        late: meta.late,
        dropped: meta.dropped,
        lag: meta.start_lag.clone().unwrap_or_default(),
        target_rate,
    });
    let elapsed = Duration::try_from_secs_f64(meta.elapsed_seconds).unwrap_or_default();
    let summary = Summary {
        report,
        elapsed,
        stop: meta.stop.as_deref().and_then(StopCause::from_name),
        max_workers: meta.max_workers,
        cancelled: meta.cancelled,
        fixture_failures: meta
            .fixture_failures
            .iter()
            .filter_map(|f| {
                Some(FixtureFailure {
                    fixture: Fixture::from_name(&f.fixture)?,
                    worker: f.worker,
                    message: f.message.clone(),
                })
            })
            .collect(),
        dropped_notices: 0,
        seed: meta.seed,
        crashed_processes: meta.crashed_processes,
        arrivals,
        started_at: meta
            .started_at
            .and_then(|t| Duration::try_from_secs_f64(t).ok())
            .and_then(|d| std::time::UNIX_EPOCH.checked_add(d)),
    };
    Ok(Loaded {
        source,
        shard: meta.shard,
        plan: meta.plan,
        summary,
        processes: meta.processes.max(1),
    })
}

/// The loaded results added up; refused when they are not of one test.
pub(crate) fn merge(loaded: &[Loaded]) -> anyhow::Result<(Summary, usize)> {
    let Some((first, rest)) = loaded.split_first() else {
        bail!("no results to merge");
    };
    let names = |l: &Loaded| {
        l.summary
            .report
            .scenarios
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    let shards: Vec<(&str, Option<Shard>)> = loaded
        .iter()
        .map(|l| (l.source.as_str(), l.shard))
        .collect();
    crate::shard::check_complete(&shards).map_err(anyhow::Error::msg)?;
    let expected = names(first);
    let mut summary = first.summary.clone();
    let mut processes = first.processes;
    for other in rest {
        let theirs = names(other);
        if first.summary.arrivals.is_some() != other.summary.arrivals.is_some() {
            bail!(
                "{} and {} are results of different tests (one ran the open model, --rate, the \
                 other not)",
                first.source,
                other.source
            );
        }
        if let (Some(ours), Some(theirs)) = (&first.plan, &other.plan) {
            if ours != theirs {
                bail!(
                    "{} and {} are results of different plans (scenarios, weights or options \
                     differ: plan {ours} / {theirs})",
                    first.source,
                    other.source
                );
            }
        }
        if theirs != expected {
            bail!(
                "{} and {} are results of different tests (scenarios {} / {})",
                first.source,
                other.source,
                expected.join(", "),
                theirs.join(", ")
            );
        }
        summary.absorb(&other.summary);
        processes += other.processes;
    }
    Ok((summary, processes))
}
