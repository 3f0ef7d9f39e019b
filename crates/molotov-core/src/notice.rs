//! What the engine tells the outside world while it runs, without ever waiting for it.
//!
//! - [`Notice`]s (a worker started, a scenario failed, a fixture failed...) go through a
//!   bounded channel. Sending never blocks: when the console falls behind, notices are dropped
//!   and counted, so a slow or closed terminal cannot slow the load. Errors travel unformatted;
//!   the receiver formats only what it shows.
//! - [`Progress`] holds the live counters (successes, failures, workers) as atomics that the
//!   console reads on its own schedule.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use molotov_stats::Report;

use crate::error::{BoxError, Fixture};

/// How many notices may wait for the console before new ones are dropped.
const CAPACITY: usize = 65_536;

/// One thing worth telling the user.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice {
    /// The workers are about to start.
    Preparing {
        /// How many.
        workers: usize,
    },
    /// Everything is set up; the load starts.
    Started,
    /// A worker starts (before its ramp-up pause).
    WorkerStarting(usize),
    /// A worker creates its session.
    SettingUpSession(usize),
    /// A worker starts running scenarios.
    RunningScenarios(usize),
    /// A worker completed another ten runs.
    Ran {
        /// The worker id.
        worker: usize,
        /// Runs completed so far.
        runs: u64,
    },
    /// A worker is done.
    WorkerDone(usize),
    /// A scenario run failed.
    Failure {
        /// The worker id.
        worker: usize,
        /// The scenario.
        scenario: Arc<str>,
        /// What it failed with.
        error: BoxError,
    },
    /// A fixture failed.
    FixtureFailed {
        /// Which one.
        fixture: Fixture,
        /// For which worker, if per-worker.
        worker: Option<usize>,
        /// What it failed with.
        error: BoxError,
    },
    /// An event listener failed.
    ListenerFailed {
        /// The event being handled.
        event: &'static str,
        /// What it failed with.
        error: BoxError,
    },
    /// Something odd but not fatal (a weight-0 scenario, ...).
    Warning(String),
    /// `-vv`: a request and its response, formatted.
    Exchange(String),
    /// A line already formatted elsewhere (by another process of the run).
    Line {
        /// The text, without its newline.
        text: String,
        /// Whether it reports a problem (a failure, an error) rather than activity.
        error: bool,
    },
}

/// The sending side, cloned into every worker.
#[derive(Clone, Debug)]
pub struct Notices {
    tx: mpsc::SyncSender<Notice>,
    progress: Arc<Progress>,
}

/// The receiving side, for the console.
#[derive(Debug)]
pub struct NoticeReceiver {
    rx: mpsc::Receiver<Notice>,
}

/// A new channel and the progress counters it reports drops to.
pub(crate) fn channel(progress: Arc<Progress>) -> (Notices, NoticeReceiver) {
    let (tx, rx) = mpsc::sync_channel(CAPACITY);
    (Notices { tx, progress }, NoticeReceiver { rx })
}

impl Notices {
    /// Sends a notice unless the channel is full or closed (then it is counted as dropped).
    pub fn send(&self, notice: Notice) {
        if self.tx.try_send(notice).is_err() {
            self.progress.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The live counters.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }
}

impl NoticeReceiver {
    /// The next notice if one is waiting.
    pub fn try_next(&self) -> Option<Notice> {
        self.rx.try_recv().ok()
    }

    /// The next notice, waiting at most `timeout`; `None` on timeout or when every sender is
    /// gone.
    pub fn next_timeout(&self, timeout: Duration) -> Option<Notice> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Whether every sender is gone and nothing is left.
    pub fn is_finished(&self) -> bool {
        matches!(self.rx.try_recv(), Err(mpsc::TryRecvError::Disconnected))
    }
}

/// Live counters of a run, read by the console while workers update them.
#[derive(Debug, Default)]
pub struct Progress {
    successes: AtomicU64,
    failures: AtomicU64,
    workers: AtomicUsize,
    max_workers: AtomicUsize,
    dropped: AtomicU64,
    /// The latest statistics snapshot (`RunConfig::live_report`), replaced each period.
    report: Mutex<Option<Report>>,
}

impl Progress {
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

    /// Sets every counter at once: for a view that adds up other processes' counters.
    pub fn set_totals(&self, successes: u64, failures: u64, workers: usize) {
        self.successes.store(successes, Ordering::Relaxed);
        self.failures.store(failures, Ordering::Relaxed);
        self.workers.store(workers, Ordering::Relaxed);
        self.max_workers.fetch_max(workers, Ordering::Relaxed);
    }

    /// Replaces the statistics snapshot.
    pub fn publish_report(&self, report: Report) {
        *self.report.lock().unwrap_or_else(PoisonError::into_inner) = Some(report);
    }

    /// The latest statistics snapshot, if one was published.
    pub fn latest_report(&self) -> Option<Report> {
        self.report
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_channel_drops_and_counts_instead_of_blocking() {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = channel(progress.clone());
        for i in 0..CAPACITY + 5 {
            tx.send(Notice::WorkerStarting(i));
        }
        assert_eq!(progress.dropped_notices(), 5);
        assert!(matches!(rx.try_next(), Some(Notice::WorkerStarting(0))));
        drop(tx);
        let mut left = 0;
        while rx.try_next().is_some() {
            left += 1;
        }
        assert_eq!(left, CAPACITY - 1);
        assert!(rx.is_finished());
    }
}
