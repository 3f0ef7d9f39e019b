//! [`Sink`]: where the engine hands what it records, for exporters (statsd, Prometheus,
//! OpenTelemetry...). The engine keeps a list of sinks ([`Runner::add_sink`]); it knows
//! none of them. A sink sees every request and scenario run as it is recorded (on the
//! worker's thread), and/or a snapshot of the process's statistics each period and once at
//! the end.
//!
//! [`Runner::add_sink`]: crate::Runner::add_sink

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use molotov_stats::Report;

use crate::progress::Progress;

/// How a request or a scenario run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A request answered with this status.
    Status(u16),
    /// A scenario run that succeeded.
    Success,
    /// A request without a response, or a failed scenario run: the kind of failure
    /// (`connect`, `timeout`, `AssertionError`...).
    Failure(&'a str),
}

/// The process's statistics at one moment: handed to [`Sink::snapshot`] each period (the
/// run's `live_report` period, one second unless set) and to [`Sink::finish`] at the end.
#[derive(Clone, Copy)]
pub struct Snapshot<'a> {
    /// Everything recorded so far, cumulative (counts, histograms).
    pub report: &'a Arc<Report>,
    /// Since the load started.
    pub elapsed: Duration,
    /// The live counters and gauges: workers running, the open model's target rate and its
    /// late and dropped runs.
    pub progress: &'a Progress,
}

/// Sees what the engine records. Every method has a default that does nothing: a sink
/// implements what it needs and says which of the two feeds it wants.
///
/// Per-record calls happen inline on the worker's thread, so they must be quick and must
/// not block (buffer, and send in [`Sink::flush`]). Snapshots are made on the worker's
/// thread too: a sink that sends them over the network hands them to a thread of its own.
pub trait Sink {
    /// Whether the sink wants every request and scenario run ([`Sink::request`],
    /// [`Sink::scenario`]); when no sink does, recording costs nothing more.
    fn wants_records(&self) -> bool {
        true
    }

    /// Whether the sink wants [`Sink::snapshot`] each period; when a sink does, the engine
    /// makes the snapshots even if no live view asked for them.
    fn wants_snapshots(&self) -> bool {
        false
    }

    /// A request ended: its method, its key (the name given with `.name()`, or the URL
    /// path: the same grouping as the statistics), its outcome and its duration.
    fn request(&self, _method: &str, _key: &str, _outcome: Outcome<'_>, _elapsed: Duration) {}

    /// A scenario run ended.
    fn scenario(&self, _scenario: &str, _outcome: Outcome<'_>, _elapsed: Duration) {}

    /// Called once a second and at the end of the run: send what is buffered.
    fn flush(&self) {}

    /// The statistics so far, each period while the load runs.
    fn snapshot(&self, _snapshot: &Snapshot<'_>) {}

    /// The run's final statistics, once the load ended (before `global_teardown`); what a
    /// sink sends from here is the last word. It may block, briefly: the run waits for it.
    fn finish(&self, _snapshot: &Snapshot<'_>) {}
}

/// The run's sinks: all of them, and apart those that want every record (so that a run with
/// snapshot sinks only pays nothing per request).
#[derive(Clone, Default)]
pub(crate) struct Sinks {
    all: Vec<Rc<dyn Sink>>,
    records: Vec<Rc<dyn Sink>>,
}

impl Sinks {
    pub(crate) fn add(&mut self, sink: Rc<dyn Sink>) {
        if sink.wants_records() {
            self.records.push(sink.clone());
        }
        self.all.push(sink);
    }

    pub(crate) fn wants_snapshots(&self) -> bool {
        self.all.iter().any(|s| s.wants_snapshots())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    #[inline]
    pub(crate) fn request(&self, method: &str, key: &str, outcome: Outcome<'_>, elapsed: Duration) {
        for sink in &self.records {
            sink.request(method, key, outcome, elapsed);
        }
    }

    #[inline]
    pub(crate) fn scenario(&self, scenario: &str, outcome: Outcome<'_>, elapsed: Duration) {
        for sink in &self.records {
            sink.scenario(scenario, outcome, elapsed);
        }
    }

    pub(crate) fn flush(&self) {
        for sink in &self.all {
            sink.flush();
        }
    }

    pub(crate) fn snapshot(&self, snapshot: &Snapshot<'_>) {
        for sink in self.all.iter().filter(|s| s.wants_snapshots()) {
            sink.snapshot(snapshot);
        }
    }

    pub(crate) fn finish(&self, snapshot: &Snapshot<'_>) {
        for sink in &self.all {
            sink.finish(snapshot);
        }
    }
}
