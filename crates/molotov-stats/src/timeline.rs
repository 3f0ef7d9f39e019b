//! [`Timeline`]: what happened in each interval of a run (by default each second), bounded in
//! memory and mergeable by wall-clock time.
//!
//! The recorder ([`Stats`](crate::Stats)) accumulates the current interval in an
//! `IntervalRecorder` on the hot path (a few counters and a 2-digit HDR histogram); the owner
//! closes it once a second with [`Stats::close_interval`](crate::Stats::close_interval), which
//! compacts it into an [`Interval`] (its histogram kept as the sparse [`Spread`]). A timeline
//! holds at most [`MAX_INTERVALS`]: past that, neighbouring intervals merge pairwise and the
//! interval doubles (1 s, 2 s, 4 s...), so a 24 h run keeps 1350 intervals of 64 s.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::latency::Latency;
use crate::spread::Spread;

/// The most intervals a timeline keeps; beyond, the interval doubles. At one second each,
/// half an hour.
pub const MAX_INTERVALS: usize = 1800;
/// An interval shorter than this (the end of a run) is added to the one before.
const SLIVER: f64 = 0.25;
/// Distinct error kinds kept per interval; later kinds are counted under `"(other)"`.
const MAX_ERROR_KINDS: usize = 32;
/// Significant digits of the per-interval histograms: within 1 %, enough for a chart, and a
/// hundredth of the buckets of the run-wide histograms (which keep 3).
const INTERVAL_DIGITS: u8 = 2;

/// The run, interval by interval. Intervals are labelled with the Unix second they start at,
/// a multiple of `interval_seconds`, so timelines of processes and machines line up.
///
/// Read back from JSON (a file may come from anywhere), it is put back in shape: an interval
/// of at least a second and a power of two, intervals in order, one per label, at most
/// [`MAX_INTERVALS`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    /// The length of each interval in seconds: 1, or a power of two for long runs.
    pub interval_seconds: u64,
    /// The intervals, in time order, at most one per label. Intervals without any activity
    /// between others may be missing.
    pub intervals: Vec<Interval>,
}

/// What deserialisation reads, before [`Timeline`]'s invariants are restored.
#[derive(Deserialize)]
struct TimelineWire {
    #[serde(default)]
    interval_seconds: u64,
    #[serde(default)]
    intervals: Vec<Interval>,
}

impl<'de> Deserialize<'de> for Timeline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = TimelineWire::deserialize(deserializer)?;
        let width = wire.interval_seconds.clamp(1, 1 << 40).next_power_of_two();
        let mut intervals = wire.intervals;
        intervals.sort_by_key(|i| i.t);
        let mut timeline = Timeline {
            interval_seconds: width,
            intervals: Vec::with_capacity(intervals.len()),
        };
        for mut interval in intervals {
            interval.t -= interval.t % width;
            // A share, whatever the file says.
            interval.generator_busy = interval.generator_busy.map(|b| b.clamp(0.0, 1.0));
            match timeline.intervals.last_mut() {
                Some(last) if last.t == interval.t => last.add(&interval, Along::Processes),
                _ => timeline.intervals.push(interval),
            }
        }
        timeline.bound();
        Ok(timeline)
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            interval_seconds: 1,
            intervals: Vec::new(),
        }
    }
}

/// One interval of a [`Timeline`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The Unix second the interval starts at (a multiple of the timeline's interval).
    pub t: u64,
    /// How many seconds of the run it covers: the interval's length, less for the run's first
    /// and last (rates are counts over this).
    pub seconds: f64,
    /// Scenario runs that succeeded.
    pub successes: u64,
    /// Scenario runs that failed.
    pub failures: u64,
    /// Requests (with a response or not).
    pub requests: u64,
    /// Responses by status class: `"2xx"` -> count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<String, u64>,
    /// Requests without a response, by error kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u64>,
    /// Workers running when it closed (summed over processes; the most, over merged time).
    pub workers: u64,
    /// In the open model, what the schedule did in the interval.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<IntervalArrivals>,
    /// The share of the interval the load generator's thread ran or waited for a core (the
    /// busiest process's; the busiest interval's, over merged time), where it is measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_busy: Option<f64>,
    /// How long the successful scenario runs took (2 significant digits).
    pub latency: Spread,
}

/// The open model's schedule over one interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalArrivals {
    /// Runs that fell due (the target rate times the interval).
    pub scheduled: u64,
    /// Runs that started.
    pub started: u64,
    /// Runs that started late.
    pub late: u64,
    /// Runs dropped.
    pub dropped: u64,
}

impl IntervalArrivals {
    fn add(&mut self, other: &IntervalArrivals) {
        self.scheduled = self.scheduled.saturating_add(other.scheduled);
        self.started = self.started.saturating_add(other.started);
        self.late = self.late.saturating_add(other.late);
        self.dropped = self.dropped.saturating_add(other.dropped);
    }
}

/// What the owner of the recorder knows when it closes an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gauges {
    /// Workers running now.
    pub workers: u64,
    /// The open model's counts over the interval.
    pub arrivals: Option<IntervalArrivals>,
    /// How busy the generator's thread was over the interval (a share), if measured.
    pub generator_busy: Option<f64>,
}

impl Timeline {
    /// Adds the timeline of another process or machine over the same time: intervals with the
    /// same label add up (workers too), the coarser interval wins.
    pub fn merge(&mut self, other: &Timeline) {
        let width = self.interval_seconds.max(other.interval_seconds);
        self.coarsen_to(width);
        let coarsened;
        let theirs = if other.interval_seconds == width {
            &other.intervals
        } else {
            let mut copy = other.clone();
            copy.coarsen_to(width);
            coarsened = copy.intervals;
            &coarsened
        };
        let mut merged = Vec::with_capacity(self.intervals.len().max(theirs.len()));
        let mut ours = std::mem::take(&mut self.intervals).into_iter().peekable();
        let mut theirs = theirs.iter().cloned().peekable();
        loop {
            let next = match (ours.peek(), theirs.peek()) {
                (Some(a), Some(b)) if a.t == b.t => {
                    let (mut a, b) = (ours.next(), theirs.next());
                    if let (Some(a), Some(b)) = (a.as_mut(), b.as_ref()) {
                        a.add(b, Along::Processes);
                    }
                    a
                }
                (Some(a), Some(b)) if a.t < b.t => ours.next(),
                (Some(_) | None, Some(_)) => theirs.next(),
                (Some(_), None) => ours.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.intervals = merged;
        self.bound();
    }

    /// Appends a closed interval of one second (or less); folds it into the last interval
    /// when the timeline has grown coarser than a second, or when it is the sliver a run
    /// ends with (under [`SLIVER`] seconds: its rates would mean nothing on their own).
    pub(crate) fn push(&mut self, mut interval: Interval) {
        interval.t -= interval.t % self.interval_seconds;
        match self.intervals.last_mut() {
            Some(last) if last.t == interval.t => last.add(&interval, Along::Time),
            Some(last)
                if interval.seconds < SLIVER
                    && interval.t <= last.t.saturating_add(self.interval_seconds) =>
            {
                last.add(&interval, Along::Time);
            }
            _ => self.intervals.push(interval),
        }
        self.bound();
    }

    /// Doubles the interval until at most [`MAX_INTERVALS`] are kept.
    fn bound(&mut self) {
        while self.intervals.len() > MAX_INTERVALS {
            self.coarsen_to(self.interval_seconds.saturating_mul(2));
        }
    }

    /// Merges neighbouring intervals into intervals of `width` seconds.
    fn coarsen_to(&mut self, width: u64) {
        if width <= self.interval_seconds {
            return;
        }
        self.interval_seconds = width;
        let mut coarse: Vec<Interval> = Vec::with_capacity(self.intervals.len() / 2 + 1);
        for mut interval in std::mem::take(&mut self.intervals) {
            interval.t -= interval.t % width;
            match coarse.last_mut() {
                Some(last) if last.t == interval.t => last.add(&interval, Along::Time),
                _ => coarse.push(interval),
            }
        }
        self.intervals = coarse;
    }
}

/// Whether two intervals being added cover the same time (two processes) or follow each other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Along {
    Processes,
    Time,
}

impl Interval {
    fn add(&mut self, other: &Interval, along: Along) {
        match along {
            Along::Processes => {
                self.seconds = self.seconds.max(other.seconds);
                self.workers = self.workers.saturating_add(other.workers);
            }
            Along::Time => {
                self.seconds += other.seconds;
                self.workers = self.workers.max(other.workers);
            }
        }
        // Saturating: timelines read back from files may hold anything.
        self.successes = self.successes.saturating_add(other.successes);
        self.failures = self.failures.saturating_add(other.failures);
        self.requests = self.requests.saturating_add(other.requests);
        for (key, n) in &other.statuses {
            let mine = self.statuses.entry(key.clone()).or_default();
            *mine = mine.saturating_add(*n);
        }
        for (key, n) in &other.errors {
            let mine = self.errors.entry(key.clone()).or_default();
            *mine = mine.saturating_add(*n);
        }
        match (&mut self.arrivals, &other.arrivals) {
            (Some(ours), Some(theirs)) => ours.add(theirs),
            (None, Some(theirs)) => self.arrivals = Some(*theirs),
            _ => {}
        }
        // Processes or time: the busiest is what tells a saturated generator.
        self.generator_busy = match (self.generator_busy, other.generator_busy) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.latency.merge(&other.latency);
    }
}

/// The current interval, as the hot path fills it.
#[derive(Debug)]
pub(crate) struct IntervalRecorder {
    successes: u64,
    failures: u64,
    requests: u64,
    /// Responses by class: index 1..=5 for 1xx..5xx, 0 for anything else.
    classes: [u64; 6],
    errors: Vec<(Box<str>, u64)>,
    latency: Latency,
}

impl Default for IntervalRecorder {
    fn default() -> Self {
        IntervalRecorder {
            successes: 0,
            failures: 0,
            requests: 0,
            classes: [0; 6],
            errors: Vec::new(),
            latency: Latency::with_digits(INTERVAL_DIGITS),
        }
    }
}

impl IntervalRecorder {
    #[inline]
    pub(crate) fn success(&mut self, latency: std::time::Duration) {
        self.successes += 1;
        self.latency.record(latency);
    }

    #[inline]
    pub(crate) fn failure(&mut self) {
        self.failures += 1;
    }

    #[inline]
    pub(crate) fn status(&mut self, status: u16) {
        self.requests += 1;
        let class = usize::from(status / 100);
        self.classes[if (1..=5).contains(&class) { class } else { 0 }] += 1;
    }

    #[inline]
    pub(crate) fn error(&mut self, kind: &str) {
        self.requests += 1;
        if let Some((_, n)) = self.errors.iter_mut().find(|(k, _)| &**k == kind) {
            *n += 1;
        } else if self.errors.len() < MAX_ERROR_KINDS {
            self.errors.push((kind.into(), 1));
        } else if let Some((_, n)) = self.errors.iter_mut().find(|(k, _)| &**k == "(other)") {
            *n += 1;
        } else {
            self.errors.push(("(other)".into(), 1));
        }
    }

    /// The interval so far, labelled `t`, covering `seconds`; the recorder is left as is.
    pub(crate) fn snapshot(&self, t: u64, seconds: f64, gauges: Gauges) -> Interval {
        let mut statuses = BTreeMap::new();
        for (class, &n) in self.classes.iter().enumerate() {
            if n > 0 {
                let key = if class == 0 {
                    "other".to_owned()
                } else {
                    format!("{class}xx")
                };
                statuses.insert(key, n);
            }
        }
        Interval {
            t,
            seconds,
            successes: self.successes,
            failures: self.failures,
            requests: self.requests,
            statuses,
            errors: self
                .errors
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            workers: gauges.workers,
            arrivals: gauges.arrivals,
            generator_busy: gauges.generator_busy,
            latency: Spread::from_buckets(self.latency.buckets().collect()),
        }
    }

    /// Zeroes it for the next interval (keeping what was allocated).
    pub(crate) fn clear(&mut self) {
        self.successes = 0;
        self.failures = 0;
        self.requests = 0;
        self.classes = [0; 6];
        self.errors.iter_mut().for_each(|(_, n)| *n = 0);
        self.latency.reset();
    }
}
