//! The HTML report (`--html FILE`) and its data: one self-contained page (`page.html`, with
//! our own `page.css` and script, `page.js` + `charts.js` (SVG) + `main.js`; no network
//! request) with the run's figures embedded as JSON. `live`: the same page served while the run lasts (`--web`), polling `data.json`.
//!
//! The page only formats: every number (counts, rates, percentiles) is computed here, from
//! the same histograms as the summary and `--json`, so the three always agree.

pub(crate) mod live;

use std::time::Duration;

use molotov_core::stats::{EntryReport, Report, Timeline};
use molotov_core::{ArrivalSummary, GeneratorLoad};
use serde_json::{Value, json};

use crate::threshold::Verdict;

/// The page: its markup, with places for its style, its script and its data.
const HTML: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
/// One script in three parts (one function), joined in this order.
const SCRIPT: [&str; 3] = [
    include_str!("page.js"),
    include_str!("charts.js"),
    include_str!("main.js"),
];
const STYLE_PLACE: &str = "/*MOLOTOV-STYLE*/";
const SCRIPT_PLACE: &str = "/*MOLOTOV-SCRIPT*/";
const DATA_PLACE: &str = "/*MOLOTOV-DATA*/null";

/// The (where, kind) error pairs a report lists at most; the rest are counted.
const MAX_ERRORS: usize = 50;
/// Error samples are cut to this many characters in the report.
const MAX_SAMPLE: usize = 300;

/// What a page shows: the run so far (live) or the whole run.
pub(crate) struct PageInput<'a> {
    pub(crate) live: bool,
    /// The script or URL tested.
    pub(crate) title: &'a str,
    pub(crate) command: &'a str,
    /// Unix seconds.
    pub(crate) started_at: f64,
    pub(crate) finished_at: Option<f64>,
    pub(crate) elapsed: Duration,
    pub(crate) processes: usize,
    pub(crate) workers: usize,
    pub(crate) max_workers: usize,
    pub(crate) stop: Option<&'static str>,
    pub(crate) seed: Option<u64>,
    pub(crate) arrivals: Option<&'a ArrivalSummary>,
    /// How busy the load generator's thread was, where it is measured.
    pub(crate) generator: Option<&'a GeneratorLoad>,
    pub(crate) report: &'a Report,
    pub(crate) verdicts: &'a [Verdict],
}

/// The page's data (its contract is `docs/results-format.md`'s "HTML report" section).
pub(crate) fn data(input: &PageInput<'_>) -> Value {
    let secs = input.elapsed.as_secs_f64();
    let per_second = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let runs = input.report.totals();
    let requests = input.report.request_totals();
    let rows = |map: &std::collections::BTreeMap<String, EntryReport>| -> Vec<Value> {
        map.iter()
            .map(|(name, e)| row(name, e, per_second(e.total())))
            .collect()
    };
    let (errors, left_off) = errors(input.report);
    json!({
        "live": input.live,
        "title": input.title,
        "meta": {
            "tool": "molotov",
            "version": env!("CARGO_PKG_VERSION"),
            "started_at": input.started_at,
            "finished_at": input.finished_at,
            "elapsed_seconds": secs,
            "processes": input.processes,
            "workers": input.workers,
            "max_workers": input.max_workers,
            "stop": input.stop,
            // A string: JavaScript numbers hold 53 bits.
            "seed": input.seed.map(|s| s.to_string()),
            "command": input.command,
            "open_model": input.arrivals.map(|a| json!({
                "target_rate": a.target_rate,
                "scheduled": a.scheduled,
                "started": a.started,
                "late": a.late,
                "dropped": a.dropped,
                "max_lag_us": micros(a.max_lag()),
                "p99_lag_us": (!a.lag.is_empty()).then(|| micros(a.lag.percentile(99.0))),
            })),
            "generator": input.generator.filter(|g| g.seconds > 0.0).map(|g| json!({
                "seconds": g.seconds,
                "busy": g.busy(),
                "peak": g.peak.clamp(0.0, 1.0),
                "saturated_seconds": g.saturated_seconds,
                "warning": crate::generator::line(g, input.processes)
                    .map(|line| line.trim_end().to_owned()),
            })),
        },
        "totals": {
            "runs": runs.total(),
            "successes": runs.successes,
            "failures": runs.failures,
            "rate": per_second(runs.total()),
            "requests": requests.total(),
            "request_failures": requests.failures,
            "request_rate": per_second(requests.total()),
        },
        "thresholds": input.verdicts.iter().map(|v| json!({
            "expression": v.expression,
            "value": (!v.no_data).then_some(&v.shown),
            "limit": v.limit,
            "passed": v.passed,
            "no_data": v.no_data,
            "abort": v.abort,
        })).collect::<Vec<_>>(),
        "scenarios": rows(&input.report.scenarios),
        "requests": rows(&input.report.requests),
        "statuses": requests.statuses.iter()
            .map(|(status, n)| json!({"status": status, "count": n}))
            .collect::<Vec<_>>(),
        "errors": errors,
        "errors_left_off": left_off,
        "timeline": timeline(input.report.timeline.as_ref()),
    })
}

/// The page with `data` embedded (the data's place comes before the script's, so the
/// script's text is never searched).
pub(crate) fn page(data: &Value) -> String {
    HTML.replacen(DATA_PLACE, &script_safe(data), 1)
        .replacen(STYLE_PLACE, STYLE, 1)
        .replacen(SCRIPT_PLACE, &SCRIPT.concat(), 1)
}

/// JSON that cannot end the `<script>` element holding it, nor be read as HTML.
pub(crate) fn script_safe(data: &Value) -> String {
    let text = data.to_string();
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            c => safe.push(c),
        }
    }
    safe
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn row(name: &str, e: &EntryReport, rate: f64) -> Value {
    let l = &e.latency;
    let at = |p: f64| (!l.is_empty()).then(|| micros(l.percentile(p)));
    json!({
        "name": name,
        "count": e.total(),
        "rate": rate,
        "failures": e.failures,
        "p50_us": at(50.0),
        "p90_us": at(90.0),
        "p95_us": at(95.0),
        "p99_us": at(99.0),
        "max_us": (!l.is_empty()).then(|| micros(l.max())),
    })
}

/// The most frequent (where, kind) errors, scenarios and requests, with a sample each; and
/// how many pairs were left off.
fn errors(report: &Report) -> (Vec<Value>, usize) {
    let mut all: Vec<(&str, &str, u64, Option<&String>)> = report
        .scenarios
        .iter()
        .chain(&report.requests)
        .flat_map(|(place, e)| {
            e.errors
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(move |(kind, n)| {
                    (place.as_str(), kind.as_str(), *n, e.error_samples.get(kind))
                })
        })
        .collect();
    all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
    let left_off = all.len().saturating_sub(MAX_ERRORS);
    let listed = all
        .into_iter()
        .take(MAX_ERRORS)
        .map(|(place, kind, count, sample)| {
            json!({
                "where": place,
                "kind": kind,
                "count": count,
                "sample": sample.map(|s| s.chars().take(MAX_SAMPLE).collect::<String>()),
            })
        })
        .collect();
    (listed, left_off)
}

fn timeline(timeline: Option<&Timeline>) -> Value {
    let Some(timeline) = timeline else {
        return json!({"interval_seconds": 1, "points": []});
    };
    let points: Vec<Value> = timeline
        .intervals
        .iter()
        .map(|i| {
            let mut point = json!({
                "t": i.t,
                "seconds": i.seconds,
                "runs": i.successes + i.failures,
                "failures": i.failures,
                "requests": i.requests,
                "statuses": i.statuses,
                "errors": i.errors,
                "workers": i.workers,
                "generator_busy": i.generator_busy,
                "p50_us": i.latency.percentile_us(50.0),
                "p90_us": i.latency.percentile_us(90.0),
                "p99_us": i.latency.percentile_us(99.0),
                "max_us": i.latency.max_us(),
            });
            if let (Some(a), Value::Object(map)) = (i.arrivals, &mut point) {
                let rate = |n: u64| {
                    if i.seconds > 0.0 {
                        n as f64 / i.seconds
                    } else {
                        0.0
                    }
                };
                map.insert("target_rate".into(), json!(rate(a.scheduled)));
                map.insert("achieved_rate".into(), json!(rate(a.started)));
                map.insert("late".into(), json!(a.late));
                map.insert("dropped".into(), json!(a.dropped));
            }
            point
        })
        .collect();
    json!({"interval_seconds": timeline.interval_seconds, "points": points})
}
