//! Reading results documents: files, or `-` (standard input) holding one or more JSON
//! documents, or a log stream where `--results-stdout` put them between marker lines. Each
//! document is parsed once, straight into typed values (no intermediate JSON tree), and
//! handed on one at a time, so that merging a thousand shards never holds them all.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::time::Duration;

use anyhow::{Context as _, bail};
use molotov_core::stats::{EntryReport, Latency, REPORT_FORMAT, Report, Timeline};
use molotov_core::{ArrivalSummary, Fixture, FixtureFailure, GeneratorLoad, StopCause, Summary};
use serde::Deserialize;

use crate::shard::Shard;

/// The line before a results document printed by `--results-stdout`.
pub(crate) const BEGIN: &str = "--- molotov results begin ---";
/// The line after it.
pub(crate) const END: &str = "--- molotov results end ---";

/// `line` (a results document on one line, `"format"` first) between the marker lines.
pub(crate) fn marked(line: &str) -> String {
    format!("{BEGIN}\n{}\n{END}\n", line.trim_end())
}

/// A results document read, with where it came from.
pub(crate) struct Loaded {
    pub(crate) source: String,
    pub(crate) shard: Option<Shard>,
    pub(crate) plan: Option<String>,
    pub(crate) summary: Summary,
    pub(crate) processes: usize,
}

/// Calls `each` with every document of `file` (`-`: standard input), in order. Read line by
/// line: between marker lines, each document is parsed when its end marker arrives (a log
/// stream of a thousand pods is never held whole); without markers, the text is JSON
/// documents one after the other. Bytes that are not UTF-8 are replaced, not fatal.
pub(crate) fn each_document(
    file: &str,
    mut each: impl FnMut(Loaded) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let source = if file == "-" { "standard input" } else { file };
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file).with_context(|| format!("cannot read {file}"))?;
        Box::new(BufReader::new(opened))
    };
    let place = |n: usize| {
        if n == 0 {
            source.to_owned()
        } else {
            format!("{source} (document {})", n + 1)
        }
    };
    let mut count = 0;
    // Text before any marker, in case there is none; the document being read, if any.
    let mut plain = Vec::new();
    let mut marked = false;
    let mut open: Option<String> = None;
    for line in reader.split(b'\n') {
        let line = line.with_context(|| format!("cannot read {source}"))?;
        let text = String::from_utf8_lossy(&line);
        let trimmed = text.trim_end();
        if trimmed.ends_with(BEGIN) {
            if open.is_some() {
                bail!("{}: a results document begins but never ends", place(count));
            }
            marked = true;
            plain = Vec::new();
            open = Some(String::new());
        } else if trimmed.ends_with(END) {
            if let Some(document) = open.take() {
                each(parse(&document, place(count))?)?;
                count += 1;
            }
        } else if let Some(document) = &mut open {
            // The document's one line, whatever prefixed it (a pod's name, a timestamp);
            // other lines a pod printed in between are not the document.
            if let Some(at) = text.find("{\"format\"") {
                text[at..].trim_end().clone_into(document);
            }
        } else if !marked {
            plain.extend_from_slice(&line);
            plain.push(b'\n');
        }
    }
    if open.is_some() {
        bail!(
            "{}: a results document begins but never ends (a pod stopped while printing it?)",
            place(count)
        );
    }
    if !marked {
        let text = String::from_utf8_lossy(&plain);
        let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Document>();
        loop {
            let at = stream.byte_offset();
            match stream.next() {
                None => break,
                Some(Ok(document)) => each(document.into_loaded(place(count))?)?,
                // Parsed again alone, to say what is wrong with it.
                Some(Err(error)) => {
                    let rest = text.get(at..).unwrap_or_default();
                    let first = serde_json::Deserializer::from_str(rest)
                        .into_iter::<serde_json::Value>()
                        .next();
                    let raw = first.and_then(Result::ok).map(|v| v.to_string());
                    let raw = raw.as_deref().unwrap_or(rest);
                    return Err(refusal(raw, &place(count), &error));
                }
            }
            count += 1;
        }
    }
    if count == 0 {
        bail!("{source} holds no results");
    }
    Ok(())
}

fn parse(text: &str, source: String) -> anyhow::Result<Loaded> {
    match serde_json::from_str::<Document>(text) {
        Ok(document) => document.into_loaded(source),
        Err(error) => Err(refusal(text, &source, &error)),
    }
}

/// Why `text` is not a document this molotov merges, in one line (`error`: what the parser
/// said).
fn refusal(text: &str, source: &str, error: &serde_json::Error) -> anyhow::Error {
    #[derive(Deserialize)]
    struct Header {
        tool: Option<String>,
        format: Option<u32>,
    }
    match serde_json::from_str::<Header>(text) {
        Err(_) => anyhow::anyhow!("{source} is not JSON results"),
        Ok(Header { tool, .. }) if tool.as_deref() != Some("molotov") => {
            anyhow::anyhow!("{source} is not a molotov results file (no \"tool\": \"molotov\")")
        }
        Ok(Header {
            format: Some(format),
            ..
        }) if format != REPORT_FORMAT => anyhow::anyhow!(
            "{source} is in results format {format}, this molotov reads format {REPORT_FORMAT} \
             (written by another version)"
        ),
        Ok(_) => anyhow::anyhow!("{source} is not readable molotov results: {error}"),
    }
}

/// A generator's figures read from a file, which may hold anything, clamped: no time below
/// zero or above the seconds measured, no share above one.
fn clamped(g: &GeneratorLoad) -> GeneratorLoad {
    let seconds = g.seconds.max(0.0);
    let within = |s: f64| s.clamp(0.0, seconds);
    let running_seconds = within(g.running_seconds);
    GeneratorLoad {
        seconds,
        running_seconds,
        waiting_seconds: within(g.waiting_seconds).min(seconds - running_seconds),
        saturated_seconds: within(g.saturated_seconds),
        peak: g.peak.clamp(0.0, 1.0),
    }
}

/// One results document, as `molotov --json` writes it (the fields a merge needs).
#[derive(Deserialize)]
struct Document {
    tool: Option<String>,
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
    #[serde(default)]
    scenarios: BTreeMap<String, EntryReport>,
    #[serde(default)]
    requests: BTreeMap<String, EntryReport>,
    timeline: Option<Timeline>,
    #[serde(default)]
    websockets: BTreeMap<String, molotov_core::stats::SocketReport>,
    generator: Option<GeneratorLoad>,
}

#[derive(Deserialize)]
struct FixtureDocument {
    fixture: String,
    worker: Option<usize>,
    #[serde(default)]
    message: String,
}

impl Document {
    fn into_loaded(self, source: String) -> anyhow::Result<Loaded> {
        if self.tool.as_deref() != Some("molotov") {
            bail!("{source} is not a molotov results file (no \"tool\": \"molotov\")");
        }
        if self.format != REPORT_FORMAT {
            bail!(
                "{source} is in results format {}, this molotov reads format {REPORT_FORMAT} \
                 (written by another version)",
                self.format
            );
        }
        // Put back in shape as the engine writes them (a file may hold anything): the runs
        // scheduled are at least those started or dropped, the late ones among those started.
        let arrivals = self.target_rate.map(|target_rate| ArrivalSummary {
            scheduled: self
                .scheduled
                .max(self.started.saturating_add(self.dropped)),
            started: self.started,
            late: self.late.min(self.started),
            dropped: self.dropped,
            lag: self.start_lag.unwrap_or_default(),
            target_rate: target_rate.max(0.0),
        });
        let summary = Summary {
            report: Report {
                format: self.format,
                scenarios: self.scenarios,
                requests: self.requests,
                timeline: self.timeline,
                websockets: self.websockets,
            },
            elapsed: Duration::try_from_secs_f64(self.elapsed_seconds).unwrap_or_default(),
            stop: self.stop.as_deref().and_then(StopCause::from_name),
            max_workers: self.max_workers,
            cancelled: self.cancelled,
            fixture_failures: self
                .fixture_failures
                .into_iter()
                .filter_map(|f| {
                    Some(FixtureFailure {
                        fixture: Fixture::from_name(&f.fixture)?,
                        worker: f.worker,
                        message: f.message,
                    })
                })
                .collect(),
            dropped_notices: 0,
            seed: self.seed,
            crashed_processes: self.crashed_processes,
            arrivals,
            started_at: self.started_at.and_then(crate::results::from_unix_seconds),
            generator: self.generator.as_ref().map(clamped),
        };
        Ok(Loaded {
            source,
            shard: self.shard,
            plan: self.plan,
            summary,
            processes: self.processes.max(1),
        })
    }
}
