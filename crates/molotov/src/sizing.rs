//! `--sizing`: while the workers ramp up, watch the failure ratio (failed scenario runs over
//! all runs) over a sliding window; once it exceeds the tolerance, stop every process and
//! report the ratio and the workers that were running.
//!
//! It watches [`Progress`], the counters of the whole run (summed over the processes in the
//! parent of `-p`), on a thread of its own, and stops the run through its [`Shutdown`].

use std::collections::VecDeque;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use molotov_core::{Progress, Shutdown, StopCause};
use serde::Serialize;

/// How often the counters are sampled.
const SAMPLE: Duration = Duration::from_millis(250);
/// The sliding window the ratio is computed over.
const WINDOW: Duration = Duration::from_secs(10);
/// Fewer runs than this in the window say nothing yet.
const MIN_RUNS: u64 = 100;

/// What `--sizing` found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SizingOutcome {
    /// The tolerance, in percent.
    pub(crate) tolerance: f64,
    /// Set when the ratio went over the tolerance.
    pub(crate) reached: Option<Reached>,
    /// The window's runs and failures when the watch ended.
    pub(crate) window_runs: u64,
    pub(crate) window_failures: u64,
}

/// The moment the tolerance was exceeded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Reached {
    /// Failed runs over all runs in the window, in percent.
    pub(crate) ratio: f64,
    /// Workers running then (in every process).
    pub(crate) workers: usize,
    /// Seconds since the run started.
    pub(crate) after_seconds: f64,
}

/// The watching thread.
pub(crate) struct SizingWatch {
    tolerance: f64,
    done: mpsc::Sender<()>,
    thread: JoinHandle<SizingOutcome>,
}

impl SizingWatch {
    /// Starts watching `progress`; stops `shutdown` with [`StopCause::Sizing`] when the ratio
    /// exceeds `tolerance` percent.
    pub(crate) fn start(
        progress: Arc<Progress>,
        shutdown: Shutdown,
        tolerance: f64,
    ) -> std::io::Result<SizingWatch> {
        let (done, finished) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("molotov-sizing".into())
            .spawn(move || watch(&progress, &shutdown, tolerance, &finished))?;
        Ok(SizingWatch {
            tolerance,
            done,
            thread,
        })
    }

    /// Ends the watch (the run is over); what it found.
    pub(crate) fn finish(self) -> SizingOutcome {
        let _ = self.done.send(());
        self.thread.join().unwrap_or(SizingOutcome {
            tolerance: self.tolerance,
            reached: None,
            window_runs: 0,
            window_failures: 0,
        })
    }
}

fn watch(
    progress: &Progress,
    shutdown: &Shutdown,
    tolerance: f64,
    finished: &mpsc::Receiver<()>,
) -> SizingOutcome {
    let started = std::time::Instant::now();
    let mut window = Window::default();
    let mut outcome = SizingOutcome {
        tolerance,
        reached: None,
        window_runs: 0,
        window_failures: 0,
    };
    loop {
        let ended = !matches!(
            finished.recv_timeout(SAMPLE),
            Err(mpsc::RecvTimeoutError::Timeout)
        );
        let (runs, failures) = window.sample(progress.successes(), progress.failures());
        (outcome.window_runs, outcome.window_failures) = (runs, failures);
        if ended || shutdown.is_stopping() {
            return outcome;
        }
        if let Some(ratio) = exceeded(runs, failures, tolerance) {
            outcome.reached = Some(Reached {
                ratio,
                workers: progress.workers(),
                after_seconds: started.elapsed().as_secs_f64(),
            });
            shutdown.stop(StopCause::Sizing);
            return outcome;
        }
    }
}

/// The ratio in percent, when there are enough runs and it is over `tolerance`. An
/// all-failing window is simply 100 %.
#[allow(
    clippy::cast_precision_loss,
    reason = "run counts far below 2^52; a ratio needs no more precision"
)]
fn exceeded(runs: u64, failures: u64, tolerance: f64) -> Option<f64> {
    if runs < MIN_RUNS {
        return None;
    }
    let ratio = failures as f64 * 100.0 / runs as f64;
    (ratio > tolerance).then_some(ratio)
}

/// The counters' samples over the last [`WINDOW`].
#[derive(Default)]
struct Window {
    /// (successes, failures), oldest first.
    samples: VecDeque<(u64, u64)>,
}

impl Window {
    /// Adds a sample; the runs and failures since the oldest one kept.
    fn sample(&mut self, successes: u64, failures: u64) -> (u64, u64) {
        self.samples.push_back((successes, failures));
        let kept = usize::try_from(WINDOW.as_millis() / SAMPLE.as_millis()).unwrap_or(1) + 1;
        while self.samples.len() > kept {
            self.samples.pop_front();
        }
        let (old_ok, old_failed) = self.samples.front().copied().unwrap_or_default();
        let failed = failures.saturating_sub(old_failed);
        (successes.saturating_sub(old_ok) + failed, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_is_failures_over_runs_and_needs_enough_runs() {
        assert_eq!(exceeded(99, 99, 5.0), None, "too few runs");
        assert_eq!(exceeded(100, 5, 5.0), None, "not over");
        assert_eq!(exceeded(100, 6, 5.0), Some(6.0));
        // All failing: 100 %, no division by zero.
        assert_eq!(exceeded(200, 200, 5.0), Some(100.0));
    }

    #[test]
    fn the_window_slides() {
        let mut window = Window::default();
        assert_eq!(window.sample(0, 0), (0, 0));
        let per_window = WINDOW.as_millis() / SAMPLE.as_millis();
        let mut last = (0, 0);
        for i in 1..=u64::try_from(per_window * 3).unwrap() {
            // 10 successes and 1 failure per sample.
            last = window.sample(i * 10, i);
        }
        let n = u64::try_from(per_window).unwrap();
        assert_eq!(last, (11 * n, n), "only the window's samples count");
    }
}
