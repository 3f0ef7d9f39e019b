//! The exported figures: one or more processes' statistics ([`Source`]) as families of
//! series, which every encoder (Prometheus text, remote write, OTLP) writes in its own form.
//! Everything is cumulative since the process started, so a lost push loses nothing.
//!
//! Request names are capped: past [`MAX_REQUEST_NAMES`] distinct `(method, name)` pairs per
//! process, the rest are added up under the name `(other)`, so a test with ids in its URLs
//! cannot explode the number of series.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use molotov_core::stats::{Latency, Report, SocketReport};

/// Distinct request names exported per process; later ones are added up under
/// [`OTHER_NAME`].
pub(crate) const MAX_REQUEST_NAMES: usize = 100;
/// The name of the requests past [`MAX_REQUEST_NAMES`] (and the statistics' own overflow).
pub(crate) const OTHER_NAME: &str = "(other)";

/// The upper bounds (seconds) of the Prometheus histograms' buckets, `+Inf` besides: 1, 2.5,
/// 5 per decade from 25 µs to a minute.
pub(crate) const BUCKETS: [f64; 20] = [
    0.000_025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0,
];

/// One process's statistics at one moment.
#[derive(Clone)]
pub(crate) struct Source {
    /// The `instance` label: host and process.
    pub(crate) instance: String,
    pub(crate) report: Arc<Report>,
    /// Workers running.
    pub(crate) workers: usize,
    /// The open model's figures (`None` in the closed model).
    pub(crate) arrivals: Option<Arrivals>,
    /// How busy the workers' thread was over the last second (`None`: not measured).
    pub(crate) generator_busy: Option<f64>,
}

/// The open model's figures of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Arrivals {
    /// Runs per second the schedule asks for now (the whole run's, all processes).
    pub(crate) target_rate: f64,
    /// Runs per second this process finished, over the last second.
    pub(crate) achieved_rate: f64,
    pub(crate) late: u64,
    pub(crate) dropped: u64,
}

/// What a family holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Only grows.
    Counter,
    /// Goes up and down.
    Gauge,
    /// A latency histogram, in seconds.
    Histogram,
}

/// One metric and its series.
pub(crate) struct Family<'a> {
    /// The Prometheus name (`_total` included for counters).
    pub(crate) name: &'static str,
    /// The OpenTelemetry name.
    pub(crate) otel: &'static str,
    /// The OpenTelemetry unit (UCUM).
    pub(crate) unit: &'static str,
    pub(crate) help: &'static str,
    pub(crate) kind: Kind,
    pub(crate) series: Vec<Series<'a>>,
}

/// One series: its source (an index into the sources), its labels and its value.
pub(crate) struct Series<'a> {
    pub(crate) source: usize,
    pub(crate) labels: Vec<(&'static str, String)>,
    pub(crate) value: Value<'a>,
}

/// A series' value.
pub(crate) enum Value<'a> {
    Number(f64),
    Histogram(Cow<'a, Latency>),
}

/// What each family is: (Prometheus name, OpenTelemetry name, unit, help, kind), in the
/// order they are exported (see the README's list of series).
const FAMILIES: [(&str, &str, &str, &str, Kind); 15] = [
    (
        "molotov_scenario_runs_total",
        "molotov.scenario.runs",
        "{run}",
        "Scenario runs that ended, by outcome (success or failure).",
        Kind::Counter,
    ),
    (
        "molotov_scenario_duration_seconds",
        "molotov.scenario.duration",
        "s",
        "Duration of the successful scenario runs (in the open model, from their intended start).",
        Kind::Histogram,
    ),
    (
        "molotov_requests_total",
        "molotov.requests",
        "{request}",
        "Requests that ended, by status code, or by error kind when there was no response.",
        Kind::Counter,
    ),
    (
        "molotov_request_duration_seconds",
        "http.client.request.duration",
        "s",
        "Duration of the requests that got a response.",
        Kind::Histogram,
    ),
    (
        "molotov_workers",
        "molotov.workers",
        "{worker}",
        "Workers running.",
        Kind::Gauge,
    ),
    (
        "molotov_target_rate",
        "molotov.arrivals.target_rate",
        "{run}/s",
        "Open model: scenario runs per second the schedule asks for now (whole run).",
        Kind::Gauge,
    ),
    (
        "molotov_achieved_rate",
        "molotov.arrivals.achieved_rate",
        "{run}/s",
        "Open model: scenario runs per second this process finished, over the last second.",
        Kind::Gauge,
    ),
    (
        "molotov_runs_late_total",
        "molotov.arrivals.late",
        "{run}",
        "Open model: runs that started late, every worker being busy.",
        Kind::Counter,
    ),
    (
        "molotov_runs_dropped_total",
        "molotov.arrivals.dropped",
        "{run}",
        "Open model: runs dropped (--drop-late).",
        Kind::Counter,
    ),
    (
        "molotov_websockets_opened_total",
        "molotov.websocket.opened",
        "{socket}",
        "Web sockets opened (handshakes that succeeded), by socket name.",
        Kind::Counter,
    ),
    (
        "molotov_websockets_ended_total",
        "molotov.websocket.ended",
        "{socket}",
        "Web sockets that ended, by outcome: closed (a normal close) or how they failed.",
        Kind::Counter,
    ),
    (
        "molotov_websocket_messages_total",
        "molotov.websocket.messages",
        "{message}",
        "Web socket messages (text and binary), by direction (sent or received).",
        Kind::Counter,
    ),
    (
        "molotov_websocket_message_bytes_total",
        "molotov.websocket.message.size",
        "By",
        "Bytes of the web socket messages, by direction (sent or received).",
        Kind::Counter,
    ),
    (
        "molotov_websocket_duration_seconds",
        "molotov.websocket.duration",
        "s",
        "How long web sockets stayed open, handshake to close.",
        Kind::Histogram,
    ),
    (
        "molotov_generator_busy_ratio",
        "molotov.generator.busy",
        "1",
        "How busy the load generator's thread was over the last second: its share running or \
         waiting for a core (from 0.9 it is saturated, and its own delays count in the latencies).",
        Kind::Gauge,
    ),
];

// Indexes into `FAMILIES`.
const RUNS: usize = 0;
const DURATIONS: usize = 1;
const REQUESTS: usize = 2;
const REQUEST_DURATIONS: usize = 3;
const WORKERS: usize = 4;
const TARGET: usize = 5;
const ACHIEVED: usize = 6;
const LATE: usize = 7;
const DROPPED: usize = 8;
const SOCKETS_OPENED: usize = 9;
const SOCKETS_ENDED: usize = 10;
const MESSAGES: usize = 11;
const MESSAGE_BYTES: usize = 12;
const SOCKET_DURATIONS: usize = 13;
const GENERATOR_BUSY: usize = 14;

/// The families of `sources`, in [`FAMILIES`]' order, those without series left out.
pub(crate) fn families(sources: &[Source]) -> Vec<Family<'_>> {
    let mut out = FAMILIES.map(|(name, otel, unit, help, kind)| Family {
        name,
        otel,
        unit,
        help,
        kind,
        series: Vec::new(),
    });
    for (source, s) in sources.iter().enumerate() {
        for (name, entry) in &s.report.scenarios {
            for (outcome, n) in [("success", entry.successes), ("failure", entry.failures)] {
                let labels = vec![("scenario", name.clone()), ("outcome", outcome.into())];
                out[RUNS].push(source, labels, n as f64);
            }
            out[DURATIONS].series.push(Series {
                source,
                labels: vec![("scenario", name.clone())],
                value: Value::Histogram(Cow::Borrowed(&entry.latency)),
            });
        }
        for ((method, name), entry) in capped_requests(&s.report) {
            let labels = |status: &str| {
                vec![
                    ("method", method.to_owned()),
                    ("name", name.to_owned()),
                    ("status", status.to_owned()),
                ]
            };
            for (status, n) in entry.statuses.iter().chain(&entry.errors) {
                out[REQUESTS].push(source, labels(status), *n as f64);
            }
            out[REQUEST_DURATIONS].series.push(Series {
                source,
                labels: vec![("method", method.to_owned()), ("name", name.to_owned())],
                value: Value::Histogram(entry.latency),
            });
        }
        for (name, socket) in capped_sockets(&s.report) {
            let socket_label = || ("socket", name.to_owned());
            out[SOCKETS_OPENED].push(source, vec![socket_label()], socket.opened as f64);
            let ended = std::iter::once(("closed", socket.closed))
                .chain(socket.failures.iter().map(|(kind, n)| (kind.as_str(), *n)));
            for (outcome, n) in ended {
                let labels = vec![socket_label(), ("outcome", outcome.to_owned())];
                out[SOCKETS_ENDED].push(source, labels, n as f64);
            }
            for (direction, messages, bytes) in [
                ("sent", socket.sent, socket.sent_bytes),
                ("received", socket.received, socket.received_bytes),
            ] {
                let labels = vec![socket_label(), ("direction", direction.to_owned())];
                out[MESSAGES].push(source, labels.clone(), messages as f64);
                out[MESSAGE_BYTES].push(source, labels, bytes as f64);
            }
            let duration = match socket {
                Cow::Borrowed(socket) => Cow::Borrowed(&socket.duration),
                Cow::Owned(socket) => Cow::Owned(socket.duration),
            };
            out[SOCKET_DURATIONS].series.push(Series {
                source,
                labels: vec![socket_label()],
                value: Value::Histogram(duration),
            });
        }
        out[WORKERS].push(source, Vec::new(), s.workers as f64);
        if let Some(a) = s.arrivals {
            out[TARGET].push(source, Vec::new(), a.target_rate);
            out[ACHIEVED].push(source, Vec::new(), a.achieved_rate);
            out[LATE].push(source, Vec::new(), a.late as f64);
            out[DROPPED].push(source, Vec::new(), a.dropped as f64);
        }
        if let Some(busy) = s.generator_busy {
            out[GENERATOR_BUSY].push(source, Vec::new(), busy);
        }
    }
    out.into_iter().filter(|f| !f.series.is_empty()).collect()
}

impl Family<'_> {
    fn push(&mut self, source: usize, labels: Vec<(&'static str, String)>, value: f64) {
        self.series.push(Series {
            source,
            labels,
            value: Value::Number(value),
        });
    }
}

/// One exported request name's figures.
struct Capped<'a> {
    statuses: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    latency: Cow<'a, Latency>,
}

/// The report's requests by `(method, name)`: the first [`MAX_REQUEST_NAMES`] as they are,
/// the others added up into their method's `(other)`.
fn capped_requests(report: &Report) -> BTreeMap<(&str, &str), Capped<'_>> {
    let mut out: BTreeMap<(&str, &str), Capped<'_>> = BTreeMap::new();
    let mut named = 0;
    for (key, entry) in &report.requests {
        let (method, name) = key.split_once(' ').unwrap_or(("", key.as_str()));
        let name = if name != OTHER_NAME && named < MAX_REQUEST_NAMES {
            named += 1;
            name
        } else {
            OTHER_NAME
        };
        match out.get_mut(&(method, name)) {
            None => {
                out.insert(
                    (method, name),
                    Capped {
                        statuses: entry.statuses.clone(),
                        errors: entry.errors.clone(),
                        latency: Cow::Borrowed(&entry.latency),
                    },
                );
            }
            Some(capped) => {
                for (k, n) in &entry.statuses {
                    *capped.statuses.entry(k.clone()).or_default() += n;
                }
                for (k, n) in &entry.errors {
                    *capped.errors.entry(k.clone()).or_default() += n;
                }
                capped.latency.to_mut().merge(&entry.latency);
            }
        }
    }
    out
}

/// The report's web sockets by name: the first [`MAX_REQUEST_NAMES`] as they are, the others
/// added up under [`OTHER_NAME`].
fn capped_sockets(report: &Report) -> BTreeMap<&str, Cow<'_, SocketReport>> {
    let mut out: BTreeMap<&str, Cow<'_, SocketReport>> = BTreeMap::new();
    for (i, (name, socket)) in report.websockets.iter().enumerate() {
        let name = if i < MAX_REQUEST_NAMES {
            name.as_str()
        } else {
            OTHER_NAME
        };
        match out.get_mut(name) {
            None => {
                out.insert(name, Cow::Borrowed(socket));
            }
            Some(capped) => capped.to_mut().merge(socket),
        }
    }
    out
}

/// How many of `latency`'s samples are at most `seconds` (a Prometheus bucket's count).
pub(crate) fn count_at_most(latency: &Latency, seconds: f64) -> u64 {
    latency.count_at_most(std::time::Duration::from_secs_f64(seconds))
}

/// The sum of `latency`'s samples, in seconds (to the histogram's precision).
pub(crate) fn sum_seconds(latency: &Latency) -> f64 {
    latency.mean().as_secs_f64() * latency.count() as f64
}

#[cfg(test)]
mod tests;
