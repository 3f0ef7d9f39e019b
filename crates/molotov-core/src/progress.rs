//! [`Progress`]: the live counters of a run (successes, failures, workers, the open model's
//! late and dropped runs, how busy the generator is) as atomics that views read on their own
//! schedule, and the latest statistics snapshot with the figures that go with it
//! ([`LiveFigures`]), replaced each period.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use molotov_stats::Report;

use crate::summary::LiveFigures;

/// Live counters of a run, read by the console while workers update them.
#[derive(Debug, Default)]
pub struct Progress {
    successes: AtomicU64,
    failures: AtomicU64,
    workers: AtomicUsize,
    max_workers: AtomicUsize,
    dropped: AtomicU64,
    /// The latest statistics snapshot (`RunConfig::live_report`), replaced each period, with
    /// how long the run had lasted when it was taken.
    report: Mutex<Option<(Arc<Report>, Duration)>>,
    /// The figures that go with it.
    figures: Mutex<Option<Arc<LiveFigures>>>,
    /// Open model: runs that started late, runs dropped, and the schedule's rate now (the
    /// bits of an `f64`, runs per second).
    late: AtomicU64,
    dropped_runs: AtomicU64,
    target_rate: AtomicU64,
    /// How busy the workers' thread was over the last second, in millionths, plus one (0: not
    /// measured).
    generator_busy: AtomicU64,
    /// A view asked for the text of the next failure (see [`Progress::want_failure`]).
    failure_wanted: AtomicBool,
    /// `kind: message` of a recent failure.
    last_failure: Mutex<Option<String>>,
}

impl Progress {
    pub(crate) fn notice_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn success(&self) {
        self.successes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn worker_started(&self) {
        let now = self.workers.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_workers.fetch_max(now, Ordering::Relaxed);
    }

    pub(crate) fn worker_stopped(&self) {
        self.workers.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn run_late(&self) {
        self.late.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn runs_dropped(&self, n: u64) {
        self.dropped_runs.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the open model's counts at once: for a view that adds up other processes'.
    pub fn set_arrivals(&self, late: u64, dropped: u64, target_rate: f64) {
        self.late.store(late, Ordering::Relaxed);
        self.dropped_runs.store(dropped, Ordering::Relaxed);
        self.set_target_rate(target_rate);
    }

    /// Sets the schedule's rate now.
    pub fn set_target_rate(&self, rate: f64) {
        self.target_rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    /// Sets how busy the workers' thread was over the last second (a share, 0 to 1; a parent
    /// of `-p` processes sets its busiest running child's), or that it is not known now.
    pub fn set_generator_busy(&self, busy: Option<f64>) {
        // A share of 0 to 1 in millionths: far from overflowing.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let stored = busy.map_or(0, |b| (b.clamp(0.0, 1.0) * 1e6).round() as u64 + 1);
        self.generator_busy.store(stored, Ordering::Relaxed);
    }

    /// How busy the workers' thread was over the last second (a share, 0 to 1); `None` before
    /// the first second, or where it is not measured.
    pub fn generator_busy(&self) -> Option<f64> {
        match self.generator_busy.load(Ordering::Relaxed) {
            0 => None,
            n => Some((n - 1) as f64 / 1e6),
        }
    }

    /// Open model: runs that started late so far.
    pub fn late_runs(&self) -> u64 {
        self.late.load(Ordering::Relaxed)
    }

    /// Open model: runs dropped so far (`--drop-late`).
    pub fn dropped_runs(&self) -> u64 {
        self.dropped_runs.load(Ordering::Relaxed)
    }

    /// Open model: the schedule's rate now, runs per second (0 in the closed model).
    pub fn target_rate(&self) -> f64 {
        f64::from_bits(self.target_rate.load(Ordering::Relaxed))
    }

    /// Asks that the next failure be kept as text ([`Progress::last_failure`]). Formatting an
    /// error costs an allocation, so a failure is described only when a view asked since the
    /// last one was (about once per refresh), not every time.
    pub fn want_failure(&self) {
        self.failure_wanted.store(true, Ordering::Relaxed);
    }

    /// Whether a failure's text is wanted; the caller that gets `true` must provide it.
    pub(crate) fn take_failure_wish(&self) -> bool {
        self.failure_wanted.load(Ordering::Relaxed)
            && self.failure_wanted.swap(false, Ordering::Relaxed)
    }

    /// Records `kind: message` of a recent failure (the engine does; the parent of a `-p` run
    /// copies its processes').
    pub fn set_last_failure(&self, text: String) {
        *self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(text);
    }

    /// `kind: message` of a recent failure, if one was described.
    pub fn last_failure(&self) -> Option<String> {
        self.last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sets every counter at once: for a view that adds up other processes' counters.
    pub fn set_totals(&self, successes: u64, failures: u64, workers: usize) {
        self.successes.store(successes, Ordering::Relaxed);
        self.failures.store(failures, Ordering::Relaxed);
        self.workers.store(workers, Ordering::Relaxed);
        self.max_workers.fetch_max(workers, Ordering::Relaxed);
    }

    /// Replaces the statistics snapshot; `elapsed` is how long the run had lasted when it was
    /// taken (what its rates are over).
    pub fn publish_report(&self, report: Report, elapsed: Duration) {
        self.replace_report(report, elapsed);
    }

    /// [`publish_report`](Progress::publish_report), giving back the snapshot it replaced
    /// (to reuse its memory once nobody holds it).
    pub fn replace_report(&self, report: Report, elapsed: Duration) -> Option<Arc<Report>> {
        self.report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace((Arc::new(report), elapsed))
            .map(|(old, _)| old)
    }

    /// The latest statistics snapshot and the run's length when it was taken, if one was
    /// published. Shared, not copied: a long run's snapshot is large.
    pub fn latest_report(&self) -> Option<(Arc<Report>, Duration)> {
        self.report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the open model's and the generator's figures that go with the snapshot.
    pub fn publish_figures(&self, figures: LiveFigures) {
        *self.figures.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(figures));
    }

    /// The latest figures published with the snapshot, if any were.
    pub fn latest_figures(&self) -> Option<Arc<LiveFigures>> {
        self.figures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Scenario runs that succeeded.
    pub fn successes(&self) -> u64 {
        self.successes.load(Ordering::Relaxed)
    }

    /// Scenario runs that failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Workers running now.
    pub fn workers(&self) -> usize {
        self.workers.load(Ordering::Relaxed)
    }

    /// The most workers that ran at once.
    pub fn max_workers(&self) -> usize {
        self.max_workers.load(Ordering::Relaxed)
    }

    /// Notices dropped because the console did not keep up.
    pub fn dropped_notices(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
