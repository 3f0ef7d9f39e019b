//! [`Summary`]: what a run produced, for the final report and the exit code; with
//! [`ArrivalSummary`], what the open model's schedule made of it.

use std::time::Duration;

use molotov_stats::{Latency, Report};
use serde::{Deserialize, Serialize};

use crate::busy::GeneratorLoad;
use crate::error::Fixture;
use crate::shutdown::StopCause;

/// What the open model and the generator's thread did so far, beyond the statistics: published
/// with each live snapshot ([`Progress::latest_figures`](crate::Progress::latest_figures)), so
/// that live thresholds see them. A view that adds up processes publishes their sum.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveFigures {
    /// The open model's arrivals so far (`None` in the closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<ArrivalSummary>,
    /// How busy the workers' thread was so far, when the host can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorLoad>,
}

impl LiveFigures {
    /// Adds another process's to these.
    pub fn absorb(&mut self, other: &LiveFigures) {
        self.add(other.arrivals.as_ref(), other.generator.as_ref());
    }

    /// Adds another process's arrivals and load (a live view's, or a summary's).
    pub fn add(&mut self, arrivals: Option<&ArrivalSummary>, generator: Option<&GeneratorLoad>) {
        absorb_some(&mut self.arrivals, arrivals, ArrivalSummary::absorb);
        absorb_some(&mut self.generator, generator, GeneratorLoad::absorb);
    }

    /// Whether there is nothing in them.
    pub fn is_empty(&self) -> bool {
        self.arrivals.is_none() && self.generator.is_none()
    }
}

/// Adds `theirs` to `ours` when both are there; `theirs` alone becomes ours.
fn absorb_some<T: Clone>(ours: &mut Option<T>, theirs: Option<&T>, absorb: fn(&mut T, &T)) {
    match (ours.as_mut(), theirs) {
        (Some(ours), Some(theirs)) => absorb(ours, theirs),
        (None, Some(theirs)) => *ours = Some(theirs.clone()),
        _ => {}
    }
}

/// A fixture that failed during the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureFailure {
    /// Which fixture.
    pub fixture: Fixture,
    /// For which worker, if per-worker.
    pub worker: Option<usize>,
    /// What it failed with.
    pub message: String,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Counts and latencies per scenario and per request.
    pub report: Report,
    /// From the start of the first worker to the end of the last.
    pub elapsed: Duration,
    /// Why the run stopped early, if it did.
    pub stop: Option<StopCause>,
    /// The most workers that ran at once.
    pub max_workers: usize,
    /// Scenario runs cancelled in flight by an abort (neither successes nor failures).
    pub cancelled: u64,
    /// Fixtures that failed (the run may have gone on, for teardowns).
    pub fixture_failures: Vec<FixtureFailure>,
    /// Console notices dropped because output did not keep up.
    pub dropped_notices: u64,
    /// The seed of the scenario picking, to repeat the run's choices.
    pub seed: u64,
    /// Worker processes of a multi-process run that crashed: their counts are missing.
    pub crashed_processes: usize,
    /// What the open model did (`None` in the closed model).
    pub arrivals: Option<ArrivalSummary>,
    /// When the load started, on the wall clock (the earliest of the processes'); `None` when
    /// no load started.
    pub started_at: Option<std::time::SystemTime>,
    /// How busy the load generator's threads were, when the host could tell.
    pub generator: Option<GeneratorLoad>,
}

impl Summary {
    /// Adds another process's outcome to this one (counts, histograms, failures): the run's
    /// whole outcome is the sum of its processes'. The elapsed time is the longest, the stop
    /// cause and the seed stay this one's.
    pub fn absorb(&mut self, other: &Summary) {
        // Reports of one run share their format, so merging cannot fail.
        let _ = self.report.merge(&other.report);
        self.elapsed = self.elapsed.max(other.elapsed);
        // Saturating: a results file read back may hold anything.
        self.max_workers = self.max_workers.saturating_add(other.max_workers);
        self.cancelled = self.cancelled.saturating_add(other.cancelled);
        self.crashed_processes = self
            .crashed_processes
            .saturating_add(other.crashed_processes);
        self.dropped_notices = self.dropped_notices.saturating_add(other.dropped_notices);
        self.fixture_failures
            .extend(other.fixture_failures.iter().cloned());
        absorb_some(
            &mut self.arrivals,
            other.arrivals.as_ref(),
            ArrivalSummary::absorb,
        );
        absorb_some(
            &mut self.generator,
            other.generator.as_ref(),
            GeneratorLoad::absorb,
        );
        if self.stop.is_none() {
            self.stop = other.stop;
        }
        self.started_at = match (self.started_at, other.started_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Successful scenario runs.
    pub fn successes(&self) -> u64 {
        self.report.scenarios.values().map(|e| e.successes).sum()
    }

    /// Failed scenario runs.
    pub fn failures(&self) -> u64 {
        self.report.scenarios.values().map(|e| e.failures).sum()
    }
}

/// What the open model did in one process (or, summed, in a run). Serde: it travels from a
/// `-p` process to its parent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArrivalSummary {
    /// Runs that were due while the run lasted.
    pub scheduled: u64,
    /// Runs that started.
    pub started: u64,
    /// Runs that started more than a millisecond after their due time (no worker was free).
    pub late: u64,
    /// Runs that were due and never started: dropped (`--drop-late`), or still waiting for a
    /// worker when the run ended.
    pub dropped: u64,
    /// How late the runs started after their due times (a histogram: merged exactly).
    pub lag: Latency,
    /// The schedule's average rate over the run, runs per second (all processes).
    pub target_rate: f64,
}

impl ArrivalSummary {
    /// The largest start lag.
    pub fn max_lag(&self) -> Duration {
        self.lag.max()
    }

    /// Adds another process's to this one.
    pub fn absorb(&mut self, other: &ArrivalSummary) {
        self.scheduled = self.scheduled.saturating_add(other.scheduled);
        self.started = self.started.saturating_add(other.started);
        self.late = self.late.saturating_add(other.late);
        self.dropped = self.dropped.saturating_add(other.dropped);
        self.lag.merge(&other.lag);
        self.target_rate = self.target_rate.max(other.target_rate);
    }
}
