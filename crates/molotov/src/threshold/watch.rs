//! The live evaluation: a thread that evaluates the thresholds every 2 s on the run's latest
//! statistics, keeps the verdicts for the views (dashboard, live page), and stops the run
//! when an `abort` threshold fails (with data: no data yet is not a failure while the run
//! lasts) once its grace has passed. It also hands the latest statistics to the live page
//! (`--web`) once a second.

use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use molotov_core::stats::Report;
use molotov_core::{Progress, Shutdown, StopCause};

use super::{Observed, Thresholds, Verdict};

/// How often the live page gets new data.
const TICK: Duration = Duration::from_secs(1);
/// How often the thresholds are evaluated while the run lasts, in ticks.
const EVALUATE_EVERY: u32 = 2;

/// What the live page does with the latest statistics, the time they span and the verdicts.
pub(crate) type Publish = Box<dyn FnMut(&Report, Duration, &[Verdict]) + Send>;

/// The latest verdicts, shared with the views.
pub(crate) type LiveVerdicts = Arc<Mutex<Vec<Verdict>>>;

/// The watching thread.
pub(crate) struct ThresholdWatch {
    done: mpsc::Sender<()>,
    thread: JoinHandle<Option<Verdict>>,
    verdicts: LiveVerdicts,
}

impl ThresholdWatch {
    /// Starts evaluating `thresholds` on `progress`' reports.
    pub(crate) fn start(
        thresholds: Thresholds,
        progress: Arc<Progress>,
        shutdown: Shutdown,
        publish: Option<Publish>,
    ) -> std::io::Result<ThresholdWatch> {
        let (done, finished) = mpsc::channel();
        let verdicts = LiveVerdicts::default();
        let shown = verdicts.clone();
        let thread = std::thread::Builder::new()
            .name("molotov-thresholds".into())
            .spawn(move || {
                let mut watch = Watch {
                    thresholds: &thresholds,
                    progress: &progress,
                    shutdown: &shutdown,
                    shown: &shown,
                    publish,
                };
                watch.run(&finished)
            })?;
        Ok(ThresholdWatch {
            done,
            thread,
            verdicts,
        })
    }

    /// The verdicts the views show.
    pub(crate) fn verdicts(&self) -> LiveVerdicts {
        self.verdicts.clone()
    }

    /// Ends the watch; the verdict of the threshold that stopped the run, if one did.
    pub(crate) fn finish(self) -> Option<Verdict> {
        let _ = self.done.send(());
        self.thread.join().ok().flatten()
    }
}

struct Watch<'a> {
    thresholds: &'a Thresholds,
    progress: &'a Progress,
    shutdown: &'a Shutdown,
    shown: &'a LiveVerdicts,
    publish: Option<Publish>,
}

impl Watch<'_> {
    fn run(&mut self, finished: &mpsc::Receiver<()>) -> Option<Verdict> {
        let mut ticks = 0u32;
        loop {
            if !matches!(
                finished.recv_timeout(TICK),
                Err(mpsc::RecvTimeoutError::Timeout)
            ) {
                return None;
            }
            ticks = ticks.wrapping_add(1);
            // The rates of a snapshot are over the time the run had lasted when it was taken.
            let Some((report, elapsed)) = self.progress.latest_report() else {
                continue;
            };
            if ticks.is_multiple_of(EVALUATE_EVERY) && !self.thresholds.is_empty() {
                let figures = self.progress.latest_figures();
                let observed = Observed {
                    report: &report,
                    elapsed,
                    arrivals: figures.as_ref().and_then(|f| f.arrivals.as_ref()),
                    generator: figures.as_ref().and_then(|f| f.generator.as_ref()),
                };
                if let Some(expression) = self.evaluate(&observed) {
                    return Some(expression);
                }
            }
            if let Some(publish) = &mut self.publish {
                let verdicts = self.shown.lock().map(|v| v.clone()).unwrap_or_default();
                publish(&report, elapsed, &verdicts);
            }
        }
    }

    /// Evaluates the thresholds; stops the run when an `abort` one failed (its verdict then).
    fn evaluate(&self, observed: &Observed<'_>) -> Option<Verdict> {
        let verdicts = self.thresholds.evaluate(observed);
        let broken = self.thresholds.0.iter().zip(&verdicts).find(|(t, v)| {
            t.abort.is_some_and(|grace| observed.elapsed >= grace) && !v.passed && !v.no_data
        });
        let broken = broken.map(|(_, v)| v.clone());
        if let Ok(mut shown) = self.shown.lock() {
            *shown = verdicts;
        }
        let expression = broken?;
        if self.shutdown.is_stopping() {
            return None;
        }
        self.shutdown.stop(StopCause::Threshold);
        Some(expression)
    }
}
