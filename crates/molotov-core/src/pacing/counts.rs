//! What the open model's schedule made of the run: the counts so far (for the timeline and
//! live thresholds) and at the end ([`ArrivalSummary`]), and the search over due times they use.

use molotov_stats::IntervalArrivals;
use tokio::time::Instant;

use super::{LATE, Timetable};
use crate::summary::ArrivalSummary;

impl Timetable {
    /// The counts so far, for the timeline (which takes differences between seconds):
    /// runs due since the schedule started, started, late and dropped.
    pub(crate) fn counts_so_far(&self) -> IntervalArrivals {
        let scheduled = self.start.get().map_or(0, |start| {
            self.due_before(start, self.counted_until(Instant::now()))
        });
        IntervalArrivals {
            scheduled,
            started: self.started.get(),
            late: self.late.get(),
            dropped: self.dropped.get(),
        }
    }

    /// The counts, once the run ended: the runs still waiting for a worker count as dropped.
    pub(crate) fn summary(&self) -> ArrivalSummary {
        self.counts(self.counted_until(Instant::now()), true)
    }

    /// The counts so far, while the run lasts. A run counts as scheduled once it is late (due
    /// more than [`LATE`] ago) or started, so a run that keeps its schedule is at 100 % of it
    /// at any moment; the runs waiting for a worker are neither started nor dropped yet.
    pub(crate) fn so_far(&self) -> ArrivalSummary {
        let now = Instant::now();
        self.counts(
            self.counted_until(now.checked_sub(LATE).unwrap_or(now)),
            false,
        )
    }

    /// Up to when runs due count as the run's: `now`, or the stop, the deadline or the last
    /// stage's end if one came first (runs due after them are not the run's, even while the
    /// runs in flight finish).
    fn counted_until(&self, now: Instant) -> Instant {
        [self.stopped_at.get(), self.deadline, self.schedule_end()]
            .into_iter()
            .flatten()
            .fold(now, Instant::min)
    }

    /// The counts of the runs due before `end`; `ended`: those not started count as dropped.
    fn counts(&self, end: Instant, ended: bool) -> ArrivalSummary {
        let Some(start) = self.start.get() else {
            return ArrivalSummary::default();
        };
        let end = end.max(start);
        let started = self.started.get();
        // A run released a little early may have started just before the stop it is due after.
        let scheduled = self
            .due_before(start, end)
            .max(started + self.dropped.get());
        let dropped = if ended {
            scheduled.saturating_sub(started)
        } else {
            self.dropped.get()
        };
        let elapsed = end.saturating_duration_since(start).as_secs_f64();
        let target_rate = if elapsed > 0.0 {
            self.schedule.runs_by(elapsed) / elapsed
        } else {
            0.0
        };
        ArrivalSummary {
            scheduled,
            started,
            late: self.late.get(),
            dropped,
            lag: self.lag.borrow().clone(),
            target_rate,
        }
    }

    /// How many runs of this partition are due before `end`: the first `j` due at or after
    /// it, found by bisection (due times only grow with `j`).
    fn due_before(&self, start: Instant, end: Instant) -> u64 {
        first_failing(0, |j| self.due(start, j).is_some_and(|due| due < end))
    }
}

/// The first `k` from `from` for which `holds` is false, where `holds` is true up to some
/// point and false from there on (due times only grow with the run's index): found by
/// doubling, then bisection, in O(log k) calls. `from` itself when `holds(from)` is false.
pub(super) fn first_failing(from: u64, holds: impl Fn(u64) -> bool) -> u64 {
    if !holds(from) {
        return from;
    }
    // holds(low); then find a `high` for which it does not.
    let (mut low, mut step) = (from, 1u64);
    let mut high = loop {
        let probe = low.saturating_add(step);
        if probe == low || !holds(probe) {
            break probe;
        }
        low = probe;
        step = step.saturating_mul(2);
    };
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if holds(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    high
}
