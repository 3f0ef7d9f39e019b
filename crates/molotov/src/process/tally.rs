//! What the parent of a `-p N` run knows of each child ([`Child`]), and what it adds up from
//! them: the live counters, statistics and figures the views show, the pushes of metrics,
//! and the run's outcome.

use std::io::PipeWriter;
use std::time::Duration;

use molotov_core::stats::Report;
use molotov_core::{LiveFigures, Progress, Shutdown, StopCause, Summary};

use crate::arrivals::RateMeter;
use crate::export::PushOutcome;

/// A child as the parent tracks it.
pub(super) struct Child {
    pub(super) pid: u32,
    pub(super) successes: u64,
    pub(super) failures: u64,
    pub(super) workers: usize,
    /// Open model: runs late, runs dropped, the schedule's rate now.
    pub(super) arrivals: (u64, u64, f64),
    /// How busy its workers' thread was over the last second.
    pub(super) generator_busy: Option<f64>,
    /// Its achieved rate (open model), from its statistics, for `/metrics`.
    pub(super) meter: RateMeter,
    /// Its latest statistics, and the time they span.
    pub(super) report: Option<(Report, Duration)>,
    /// The open model's and the generator's figures that go with them.
    pub(super) figures: Option<LiveFigures>,
    pub(super) summary: Option<Summary>,
    /// How its pushes of metrics went.
    pub(super) exported: Vec<crate::export::PushOutcome>,
    pub(super) ended: bool,
    /// Where its commands go (`None` once it cannot hear them).
    pub(super) control: Option<PipeWriter>,
}

impl Child {
    /// Whether it still runs: neither ended nor done (a child that sent its summary counts
    /// by it until reaped).
    pub(super) fn running(&self) -> bool {
        !self.ended && self.summary.is_none()
    }

    /// A child just forked, with the pipe its commands go to.
    pub(super) fn new((&pid, control): (&u32, PipeWriter)) -> Child {
        Child {
            pid,
            successes: 0,
            failures: 0,
            workers: 0,
            arrivals: (0, 0, 0.0),
            generator_busy: None,
            meter: RateMeter::default(),
            report: None,
            figures: None,
            summary: None,
            exported: Vec::new(),
            ended: false,
            control: Some(control),
        }
    }
}

/// Sets `progress` from the children: the totals (a child that sent its summary counts by it,
/// not by its last counters), the open model's counts, how busy the busiest running one is,
/// and the merged statistics with their figures.
pub(super) fn publish_progress(tracked: &[Child], progress: &Progress) {
    let alive = tracked.iter().filter(|c| c.running());
    let (ok, failed, workers) = alive.fold((0, 0, 0), |(o, f, w), c| {
        (o + c.successes, f + c.failures, w + c.workers)
    });
    let done = tracked.iter().filter_map(|c| c.summary.as_ref());
    let (done_ok, done_failed) =
        done.fold((0, 0), |(o, f), s| (o + s.successes(), f + s.failures()));
    progress.set_totals(ok + done_ok, failed + done_failed, workers);
    // Every process follows the whole schedule's rate; the late and dropped runs add up.
    let (late, dropped, rate) = tracked.iter().fold((0, 0, 0.0_f64), |(l, d, r), c| {
        let (cl, cd, cr) = match &c.summary {
            Some(s) => s
                .arrivals
                .as_ref()
                .map_or((0, 0, 0.0), |a| (a.late, a.dropped, 0.0)),
            None => (
                c.arrivals.0,
                c.arrivals.1,
                if c.ended { 0.0 } else { c.arrivals.2 },
            ),
        };
        (l + cl, d + cd, r.max(cr))
    });
    progress.set_arrivals(late, dropped, rate);
    // The busiest running child's last second: one saturated process is the bottleneck
    // (none once every child is done).
    progress.set_generator_busy(busiest_running(tracked));
    if let Some((merged, elapsed)) = merged_reports(tracked) {
        progress.publish_report(merged, elapsed);
    }
    let figures = merged_figures(tracked);
    if !figures.is_empty() {
        progress.publish_figures(figures);
    }
}

/// How the processes' pushes of metrics went, added up per endpoint.
pub(super) fn pushes(tracked: &[Child]) -> Vec<PushOutcome> {
    let mut all = Vec::new();
    for child in tracked {
        PushOutcome::absorb(&mut all, &child.exported);
    }
    all
}

/// The latest statistics of every child, merged, for live views, and the longest time they
/// span.
fn merged_reports(tracked: &[Child]) -> Option<(Report, Duration)> {
    let mut reports = tracked.iter().filter_map(|c| {
        c.summary
            .as_ref()
            .map(|s| (&s.report, s.elapsed))
            .or(c.report.as_ref().map(|(r, e)| (r, *e)))
    });
    let (first, mut elapsed) = reports.next()?;
    let mut merged = first.clone();
    for (report, spans) in reports {
        let _ = merged.merge(report);
        elapsed = elapsed.max(spans);
    }
    Some((merged, elapsed))
}

/// The open model's and the generator's figures of every child, added up (a child that sent
/// its summary counts by it).
fn merged_figures(tracked: &[Child]) -> LiveFigures {
    let mut merged = LiveFigures::default();
    for child in tracked {
        match &child.summary {
            Some(s) => merged.add(s.arrivals.as_ref(), s.generator.as_ref()),
            None => {
                if let Some(figures) = &child.figures {
                    merged.absorb(figures);
                }
            }
        }
    }
    merged
}

/// The run's outcome: the children's outcomes added up.
/// `seed` is the one asked for, for a run that never forked.
pub(super) fn outcome(tracked: &mut [Child], shutdown: &Shutdown, seed: Option<u64>) -> Summary {
    let crashed = tracked.iter().filter(|c| c.summary.is_none()).count();
    let mut summaries = tracked.iter_mut().filter_map(|c| c.summary.take());
    let mut summary = summaries
        .next()
        .unwrap_or_else(|| empty_summary(seed.unwrap_or(0)));
    for other in summaries {
        summary.absorb(&other);
    }
    summary.crashed_processes = crashed;
    // A child's "interrupted" is this process relaying a stop (a signal, or a crash of
    // another child); the cause worth reporting is this process's own.
    summary.stop = shutdown
        .cause()
        .or(summary.stop.filter(|c| *c != StopCause::Interrupted));
    summary
}

/// The busiest last second of the children still running, if any was measured.
fn busiest_running(tracked: &[Child]) -> Option<f64> {
    tracked
        .iter()
        .filter(|c| c.running())
        .filter_map(|c| c.generator_busy)
        .reduce(f64::max)
}

fn empty_summary(seed: u64) -> Summary {
    Summary {
        report: Report::default(),
        elapsed: Duration::ZERO,
        stop: None,
        max_workers: 0,
        cancelled: 0,
        fixture_failures: Vec::new(),
        dropped_notices: 0,
        seed,
        crashed_processes: 0,
        arrivals: None,
        started_at: None,
        generator: None,
    }
}

#[cfg(test)]
mod tests {
    use molotov_core::{ArrivalSummary, GeneratorLoad};

    use super::*;

    fn child(pid: u32) -> Child {
        let (_, control) = std::io::pipe().unwrap();
        Child::new((&pid, control))
    }

    fn figures(late: u64, seconds: f64) -> LiveFigures {
        LiveFigures {
            arrivals: Some(ArrivalSummary {
                scheduled: 100,
                started: 100,
                late,
                ..ArrivalSummary::default()
            }),
            generator: Some(GeneratorLoad {
                seconds,
                saturated_seconds: seconds / 2.0,
                peak: 0.95,
                ..GeneratorLoad::default()
            }),
        }
    }

    #[test]
    fn each_child_counts_once_by_its_summary_once_done_else_by_its_latest_figures() {
        let mut done = child(1);
        // Its last live figures, then its summary: the summary counts.
        done.figures = Some(figures(1, 1.0));
        let last = figures(2, 2.0);
        done.summary = Some(Summary {
            arrivals: last.arrivals,
            generator: last.generator,
            ..empty_summary(0)
        });
        let mut running = child(2);
        running.figures = Some(figures(4, 4.0));
        let silent = child(3);
        let merged = merged_figures(&[done, running, silent]);
        let arrivals = merged.arrivals.unwrap();
        assert_eq!((arrivals.scheduled, arrivals.late), (200, 6));
        let generator = merged.generator.unwrap();
        assert!((generator.seconds - 6.0).abs() < 1e-12, "{generator:?}");
        assert!((generator.saturated_seconds - 3.0).abs() < 1e-12);
        assert!(merged_figures(&[child(4)]).is_empty());
    }
}
