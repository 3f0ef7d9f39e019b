//! The tasks beside the workers, whatever the load model: the deadline (`-d`), the grace
//! after a graceful stop, the abort watcher that cancels the scenario loops, the sinks' flush
//! and the live snapshots once a period, the `current_workers` event each second, and the
//! load test's own background tasks. (The load models' own tasks are in `load`.)

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use molotov_stats::Report;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::busy::BusyMeter;
use crate::event::{Event, Listeners};
use crate::notice::Notices;
use crate::plan::BackgroundFn;
use crate::shutdown::{Shutdown, StopCause};
use crate::sink::Snapshot;
use crate::summary::LiveFigures;
use crate::worker::Shared;

/// The deadline, the grace after a stop, the abort watcher and the `current_workers` ticker.
pub(crate) fn spawn_helpers(
    shared: &Rc<Shared>,
    listeners: &Listeners,
    notices: &Notices,
    start: Instant,
) -> Vec<JoinHandle<()>> {
    let mut helpers = Vec::new();
    let config = &shared.env.info.config;
    // A deadline beyond what the clock holds is no deadline.
    if let Some(deadline) = config.duration.and_then(|d| start.checked_add(d)) {
        let shutdown = shared.shutdown.clone();
        helpers.push(tokio::task::spawn_local(async move {
            tokio::time::sleep_until(deadline).await;
            shutdown.stop(StopCause::Deadline);
        }));
    }
    helpers.push(tokio::task::spawn_local(grace(
        shared.shutdown.clone(),
        config.graceful_stop,
    )));
    if !shared.env.sinks.is_empty() {
        let sinks = shared.clone();
        helpers.push(tokio::task::spawn_local(async move {
            let second = Duration::from_secs(1);
            let mut ticker = tokio::time::interval_at(start + second, second);
            loop {
                ticker.tick().await;
                sinks.env.sinks.flush();
            }
        }));
    }
    let live_report = config.live_report.filter(|l| !l.period.is_zero());
    if let Some((live_report, first)) =
        live_report.and_then(|l| Some((l, start.checked_add(l.period)?)))
    {
        let (period, timeline) = (live_report.period, live_report.timeline);
        let live = shared.clone();
        helpers.push(tokio::task::spawn_local(async move {
            let mut ticker = tokio::time::interval_at(first, period);
            // The snapshot before the latest: its memory is reused once the views and sinks
            // let go of it (they hold the latest).
            let mut spare: Option<Arc<Report>> = None;
            loop {
                ticker.tick().await;
                let old = spare.take().and_then(|old| Arc::try_unwrap(old).ok());
                let report = live.env.stats.borrow().snapshot_reusing(timeline, old);
                let elapsed = start.elapsed();
                spare = live.progress.replace_report(report, elapsed);
                let figures = LiveFigures {
                    arrivals: live.pacing.arrivals_so_far(),
                    generator: live.busy.as_ref().and_then(BusyMeter::load),
                };
                if !figures.is_empty() {
                    live.progress.publish_figures(figures);
                }
                if live.env.sinks.wants_snapshots() {
                    if let Some((report, elapsed)) = live.progress.latest_report() {
                        live.env.sinks.snapshot(&Snapshot {
                            report: &report,
                            elapsed,
                            progress: &live.progress,
                        });
                    }
                }
            }
        }));
    }
    let watched = shared.clone();
    helpers.push(tokio::task::spawn_local(async move {
        watched.shutdown.aborted().await;
        for handle in watched.loops.borrow().iter() {
            handle.abort();
        }
    }));
    if !listeners.is_empty() {
        let (listeners, notices) = (listeners.clone(), notices.clone());
        let progress = shared.progress.clone();
        helpers.push(tokio::task::spawn_local(async move {
            let period = Duration::from_secs(1);
            let mut ticker = tokio::time::interval_at(start + period, period);
            loop {
                ticker.tick().await;
                let event = Event::CurrentWorkers {
                    workers: progress.workers(),
                };
                listeners.emit(&event, &notices).await;
            }
        }));
    }
    helpers
}

/// Once a graceful stop is asked for, lets the scenarios in flight run for `grace`, then
/// cancels them (the cause stays the stop's). A grace too long for the clock never ends.
async fn grace(shutdown: Shutdown, grace: Duration) {
    shutdown.stopped().await;
    if !grace.is_zero() {
        // tokio caps a sleep that the clock cannot hold at about 30 years.
        tokio::time::sleep(grace).await;
    }
    let cause = shutdown.cause().unwrap_or(StopCause::Interrupted);
    shutdown.abort(cause);
}

/// Stops the helper tasks, and has the sinks send what they buffered.
pub(crate) fn end_helpers(helpers: Vec<JoinHandle<()>>, shared: &Shared) {
    for helper in helpers {
        helper.abort();
    }
    shared.env.sinks.flush();
}

/// Starts the load test's background tasks (each gets the run's shutdown).
pub(crate) fn spawn_background(
    background: Vec<BackgroundFn>,
    shutdown: &Shutdown,
) -> Vec<JoinHandle<()>> {
    background
        .into_iter()
        .map(|f| tokio::task::spawn_local(f(shutdown.clone())))
        .collect()
}
