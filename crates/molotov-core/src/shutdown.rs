//! How a run is told to stop: gracefully (workers finish the scenario they are running, then
//! run their teardowns) or by aborting (scenarios in flight are cancelled, teardowns still run).
//! A graceful stop becomes an abort once the run's grace
//! ([`RunConfig::graceful_stop`](crate::RunConfig::graceful_stop)) is over.
//!
//! The caller creates a [`Shutdown`], keeps a clone, and passes one to
//! [`Runner::run`](crate::Runner::run); a signal handler, a test or the runner itself (deadline, `-x`, a
//! failed fixture) then calls [`Shutdown::stop`] or [`Shutdown::abort`]. The first cause wins
//! and is reported in the summary.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio_util::sync::CancellationToken;

/// Why a run stopped before running out of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StopCause {
    /// The `-d` duration elapsed.
    Deadline = 1,
    /// Ctrl-C or SIGTERM.
    Interrupted = 2,
    /// `-x`: the first failure stopped everything.
    FailFast = 3,
    /// A fixture failed.
    FixtureFailed = 4,
    /// `--sizing`: the failure ratio went over the tolerance.
    Sizing = 5,
    /// A threshold marked `abort` failed.
    Threshold = 6,
}

impl StopCause {
    /// The stable name (`"deadline"`, `"interrupted"`, `"fail-fast"`, `"fixture-failed"`,
    /// `"sizing"`, `"threshold"`).
    pub const fn name(self) -> &'static str {
        match self {
            StopCause::Deadline => "deadline",
            StopCause::Interrupted => "interrupted",
            StopCause::FailFast => "fail-fast",
            StopCause::FixtureFailed => "fixture-failed",
            StopCause::Sizing => "sizing",
            StopCause::Threshold => "threshold",
        }
    }

    /// The cause of that name.
    pub fn from_name(name: &str) -> Option<StopCause> {
        [
            StopCause::Deadline,
            StopCause::Interrupted,
            StopCause::FailFast,
            StopCause::FixtureFailed,
            StopCause::Sizing,
            StopCause::Threshold,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    fn from_u8(v: u8) -> Option<StopCause> {
        match v {
            1 => Some(StopCause::Deadline),
            2 => Some(StopCause::Interrupted),
            3 => Some(StopCause::FailFast),
            4 => Some(StopCause::FixtureFailed),
            5 => Some(StopCause::Sizing),
            6 => Some(StopCause::Threshold),
            _ => None,
        }
    }
}

/// A handle to stop a run; clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stop: CancellationToken,
    abort: CancellationToken,
    /// The first [`StopCause`] as its `u8`, 0 while running.
    cause: AtomicU8,
}

impl Shutdown {
    /// A handle for a run that has not been asked to stop.
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Asks for a graceful stop: no new scenario starts; those in flight finish, or are
    /// cancelled when the run's grace is over.
    pub fn stop(&self, cause: StopCause) {
        let _ =
            self.inner
                .cause
                .compare_exchange(0, cause as u8, Ordering::AcqRel, Ordering::Acquire);
        self.inner.stop.cancel();
    }

    /// Stops at once: scenarios in flight are cancelled (counted as cancelled, not as
    /// failures); teardown fixtures still run.
    pub fn abort(&self, cause: StopCause) {
        self.stop(cause);
        self.inner.abort.cancel();
    }

    /// Whether a stop was asked for. One atomic load: checked before every scenario run.
    pub fn is_stopping(&self) -> bool {
        self.inner.stop.is_cancelled()
    }

    /// Whether an abort was asked for.
    pub fn is_aborted(&self) -> bool {
        self.inner.abort.is_cancelled()
    }

    /// Completes when a stop is asked for (at once if it already was).
    pub async fn stopped(&self) {
        self.inner.stop.cancelled().await;
    }

    /// Completes when an abort is asked for.
    pub async fn aborted(&self) {
        self.inner.abort.cancelled().await;
    }

    /// The first cause given, if a stop was asked for.
    pub fn cause(&self) -> Option<StopCause> {
        StopCause::from_u8(self.inner.cause.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_wins_and_abort_implies_stop() {
        let s = Shutdown::new();
        assert!(!s.is_stopping());
        assert_eq!(s.cause(), None);
        s.stop(StopCause::FailFast);
        s.abort(StopCause::Interrupted);
        assert!(s.is_stopping());
        assert!(s.clone().is_aborted());
        assert_eq!(s.cause(), Some(StopCause::FailFast));
    }
}
