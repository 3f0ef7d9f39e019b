//! [`Pacing`]: when a worker's next scenario run starts. It is the one seam of the worker loop
//! between the load models: the loop asks it before each run, and runs, or stops.
//!
//! - The closed model: at once (after the run's delay). With stages ([`Staffing`], in
//!   `staffing`), only while the worker's slot is under the stage's count: a worker over it
//!   stops.
//! - The open model ([`Timetable`]): a dispatcher ([`crate::load`]) releases the runs of the
//!   schedule at their due times, waking a waiting worker for each; a worker that finishes
//!   takes the next released run at once, or the next run of the schedule if it is due within
//!   its window ([`early_window`]: a busy process needs no wake per run). A run nobody could
//!   start on time starts late (or is dropped, with `--drop-late`). A due run is just its
//!   index: the memory does not grow when the server falls behind. `counts`: what the schedule
//!   made of the run, so far and at the end.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use molotov_stats::Latency;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::Partition;
use crate::progress::Progress;
use crate::schedule::Schedule;
use crate::shutdown::Shutdown;
use crate::summary::ArrivalSummary;

mod counts;
mod staffing;

use counts::first_failing;
pub(crate) use staffing::Staffing;

/// A run that starts more than this after its due time was late (every worker was busy).
pub(crate) const LATE: Duration = Duration::from_millis(1);

/// The least and the most a run may start early ([`early_window`]).
const EARLY_LEAST: Duration = Duration::from_micros(125);
const EARLY_MOST: Duration = Duration::from_millis(1);

/// How early a run may start, for a process making `rate` runs a second now: a worker that
/// finishes with the next run due within this takes it at once instead of parking until it
/// is due, and the dispatcher's precise timer releases the runs due this far ahead with the
/// one it woke for. The runs due close together then start together, never late
/// because of it, and a busy process pays neither a wake nor a park per run.
///
/// A wake costs the same at any rate, and so does the server's (a request to a server that
/// sleeps wakes it, on the generator's CPU): the window grows with the rate, 10 ns for each run
/// a second, from 125 µs (up to 12,500 runs/s: runs start as close to their due time as the
/// timer allows) to 1 ms (from 100,000 runs/s). At 90 % of a generator's closed-model rate
/// (about 160,000 runs/s on one core), 1 ms against 125 µs cut its CPU per run by 3-4 % and
/// its busy share from 98 % to 94 % (`bench/engine.py`).
pub(crate) fn early_window(rate: f64) -> Duration {
    let most = EARLY_MOST.as_secs_f64();
    let window = (rate * 1e-8).clamp(EARLY_LEAST.as_secs_f64(), most);
    // NaN (no rate) clamps to NaN: the least.
    Duration::try_from_secs_f64(window).unwrap_or(EARLY_LEAST)
}

/// What the worker loop does next.
pub(crate) enum Next {
    /// Run a scenario; in the open model, with how late it starts after its due time.
    Run(Option<Late>),
    /// Stop: the worker runs its teardowns and ends.
    Stop,
}

/// An open-model run's start: how late after its due time, and the clock's reading then (the
/// run's start, read once).
#[derive(Clone, Copy)]
pub(crate) struct Late {
    pub(crate) lag: Duration,
    pub(crate) now: Instant,
}

/// How the runs of a process's workers are paced.
pub(crate) enum Pacing {
    /// Molotov's closed model.
    Closed,
    /// The closed model with a worker count that follows stages.
    Staged(std::rc::Rc<Staffing>),
    /// The open model.
    Open(std::rc::Rc<Timetable>),
}

impl Pacing {
    /// Whether worker `slot` runs again, and how late.
    pub(crate) async fn next(&self, slot: usize, shutdown: &Shutdown) -> Next {
        match self {
            Pacing::Closed => Next::Run(None),
            Pacing::Staged(staffing) if slot < staffing.target() => Next::Run(None),
            Pacing::Staged(_) => Next::Stop,
            Pacing::Open(timetable) => timetable.claim(shutdown).await,
        }
    }

    /// What the open model did, once the run ended (`None` in the closed model).
    pub(crate) fn arrival_summary(&self) -> Option<ArrivalSummary> {
        match self {
            Pacing::Open(timetable) => Some(timetable.summary()),
            _ => None,
        }
    }

    /// What the open model did so far, while the run lasts (`None` in the closed model).
    pub(crate) fn arrivals_so_far(&self) -> Option<ArrivalSummary> {
        match self {
            Pacing::Open(timetable) => Some(timetable.so_far()),
            _ => None,
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self, Pacing::Open(_))
    }
}

/// The open model's live state in one process: its share of the schedule, the runs whose due
/// time came (released by the dispatcher, [`crate::load`]) and the next of them to start.
///
/// Runs are indices: the runs due but not started yet are the range `next..released`, so a
/// server that falls behind costs no memory.
pub(crate) struct Timetable {
    schedule: Schedule,
    partition: Partition,
    /// How early a run may start ([`early_window`] of the process's rate now, followed once a
    /// second by [`Timetable::follow_rate`]).
    early: Cell<Duration>,
    drop_late: bool,
    /// The run's deadline (`-d`): runs due at or after it are not released.
    deadline: Option<Instant>,
    progress: Arc<Progress>,
    /// When the schedule started: once every first worker is set up.
    start: Cell<Option<Instant>>,
    begun: Notify,
    /// First workers still setting up.
    setting_up: Cell<usize>,
    /// Runs `0..released` (of this partition) are due.
    released: Cell<u64>,
    /// The schedule has no more runs: idle workers stop.
    exhausted: Cell<bool>,
    /// The next due run to start.
    next: Cell<u64>,
    /// Workers waiting for a run, and how many of them were woken for one already.
    idle: Cell<usize>,
    woken: Cell<usize>,
    /// Workers added for runs waiting, not set up yet.
    starting: Cell<usize>,
    release: Notify,
    /// A worker began to wait for a run (the dispatcher, with every worker busy and none to
    /// add, waits for this rather than for each due time).
    went_idle: Notify,
    started: Cell<u64>,
    late: Cell<u64>,
    dropped: Cell<u64>,
    /// The start lags of the runs started.
    lag: RefCell<Latency>,
    /// When the run was asked to stop, if it was before the schedule ended.
    stopped_at: Cell<Option<Instant>>,
}

impl Timetable {
    pub(crate) fn new(
        schedule: Schedule,
        partition: Partition,
        drop_late: bool,
        first_workers: usize,
        deadline: Option<Instant>,
        progress: Arc<Progress>,
    ) -> Self {
        let rate = schedule.rate_at(0.0) / partition.count.get() as f64;
        Timetable {
            early: Cell::new(early_window(rate)),
            schedule,
            partition,
            drop_late,
            deadline,
            progress,
            start: Cell::new(None),
            begun: Notify::new(),
            setting_up: Cell::new(first_workers),
            released: Cell::new(0),
            exhausted: Cell::new(false),
            next: Cell::new(0),
            idle: Cell::new(0),
            woken: Cell::new(0),
            starting: Cell::new(0),
            release: Notify::new(),
            went_idle: Notify::new(),
            started: Cell::new(0),
            late: Cell::new(0),
            dropped: Cell::new(0),
            lag: RefCell::new(Latency::default()),
            stopped_at: Cell::new(None),
        }
    }

    /// A first worker is set up (or gave up): the schedule starts with the last one.
    pub(crate) fn set_up(&self) {
        let left = self.setting_up.get().saturating_sub(1);
        self.setting_up.set(left);
        if left == 0 && self.start.get().is_none() {
            self.start.set(Some(Instant::now()));
            self.begun.notify_waiters();
        }
    }

    /// Notes that the run was asked to stop now.
    pub(crate) fn note_stop(&self) {
        if self.stopped_at.get().is_none() {
            self.stopped_at.set(Some(Instant::now()));
        }
        // Workers waiting for a run stop (they wait on this, not on the shutdown, whose
        // future costs a lock to make).
        self.release.notify_waiters();
    }

    /// When run `j` of this partition is due, if the schedule has it.
    fn due(&self, start: Instant, j: u64) -> Option<Instant> {
        start.checked_add(self.schedule.due(self.partition.run(j))?)
    }

    /// When run `j` is due, if the schedule has it and it is before the deadline; `None` once
    /// the schedule started.
    pub(crate) fn release_time(&self, j: u64) -> Option<Instant> {
        let due = self.due(self.start.get()?, j)?;
        self.deadline.is_none_or(|d| due < d).then_some(due)
    }

    /// Whether the deadline ends the schedule from run `j` (due at or after it, or the last
    /// stage ends at or after it): the run then lasts until the deadline stops it (`-d` long,
    /// as in the closed model), rather than ending with its last run.
    pub(crate) fn ends_at_deadline(&self, j: u64) -> bool {
        let (Some(start), Some(deadline)) = (self.start.get(), self.deadline) else {
            return false;
        };
        match self.due(start, j) {
            Some(due) => due >= deadline,
            // The last stage ends at or after the deadline (the schedule starts once the
            // workers are set up, after the run did): the deadline stops the run.
            None => self
                .schedule
                .end()
                .and_then(|length| start.checked_add(length))
                .is_none_or(|end| end >= deadline),
        }
    }

    /// When the schedule's last stage ends (or the deadline, if it comes first); `None` for
    /// a schedule without stages, or before it started.
    pub(crate) fn schedule_end(&self) -> Option<Instant> {
        let end = self.start.get()?.checked_add(self.schedule.end()?)?;
        Some(self.deadline.map_or(end, |d| end.min(d)))
    }

    /// Whether the run goes on though no run is left to release from `j`: until the
    /// deadline stops it, or until the last stage ends, the schedule's whole length.
    fn lasts_beyond(&self, j: u64, now: Instant) -> bool {
        self.ends_at_deadline(j) || self.schedule_end().is_some_and(|end| now < end)
    }

    /// How early a run may start now.
    pub(crate) fn early(&self) -> Duration {
        self.early.get()
    }

    /// The schedule's rate is `rate` now (all processes): the window follows this process's
    /// share of it.
    pub(crate) fn follow_rate(&self, rate: f64) {
        let share = rate / self.partition.count.get() as f64;
        self.early.set(early_window(share));
    }

    /// The next run to release.
    pub(crate) fn released(&self) -> u64 {
        self.released.get()
    }

    /// Whether every worker is busy (none waits for a run, or each that does was woken).
    pub(crate) fn all_busy(&self) -> bool {
        self.idle.get() <= self.woken.get()
    }

    /// Returns once a worker began to wait for a run (or the schedule ended).
    pub(crate) async fn went_idle(&self) {
        self.went_idle.notified().await;
    }

    /// Releases the runs due by `due_by` that no worker took itself, and those due by
    /// `ahead` while a worker waits for one (a waiting worker is woken for each); returns how
    /// many due runs found every worker busy (they wait for one; the dispatcher may add
    /// workers for them, `load::Growth`). A run not due yet that no worker waits for is left
    /// to a worker that finishes, or to the dispatcher's wake at its due time: no worker is
    /// added for a run the window would start early.
    pub(crate) fn release_due(&self, due_by: Instant, ahead: Instant) -> u64 {
        let mut missed = 0;
        loop {
            let j = self.released.get();
            match self.release_time(j) {
                Some(due) if due <= ahead && (due <= due_by || !self.all_busy()) => {}
                _ => return missed,
            }
            self.released.set(j + 1);
            if self.all_busy() {
                missed += 1;
            } else {
                self.woken.set(self.woken.get() + 1);
                self.release.notify_one();
            }
        }
    }

    /// The released runs due by `now` that no worker started, was woken for or is starting for.
    pub(crate) fn waiting(&self, now: Instant) -> u64 {
        let (next, released) = (self.next.get(), self.released.get());
        let due = first_failing(next, |k| {
            k < released && self.release_time(k).is_some_and(|due| due <= now)
        });
        (due - next).saturating_sub((self.woken.get() + self.starting.get()) as u64)
    }

    /// One more worker starts: a run waiting is its own until it is set up.
    pub(crate) fn adding_worker(&self) {
        self.starting.set(self.starting.get() + 1);
    }

    /// A worker added while the schedule ran is set up (or gave up).
    pub(crate) fn added_set_up(&self) {
        self.starting.set(self.starting.get().saturating_sub(1));
    }

    /// The schedule ended: workers stop once the due runs are started.
    pub(crate) fn exhaust(&self) {
        self.exhausted.set(true);
        self.release.notify_waiters();
        self.went_idle.notify_one();
    }

    /// The next due run: at once if one is waiting (late, or dropped with `--drop-late`),
    /// else once the dispatcher releases one.
    pub(crate) async fn claim(&self, shutdown: &Shutdown) -> Next {
        let start = loop {
            let begun = self.begun.notified();
            if let Some(start) = self.start.get() {
                break start;
            }
            tokio::select! {
                () = begun => {}
                () = shutdown.stopped() => return Next::Stop,
            }
        };
        loop {
            let j = self.next.get();
            // One clock reading per run: it is the run's start too.
            let now = Instant::now();
            // A run's due time, when this pass already computed it.
            let mut known_due = None;
            if j >= self.released.get() {
                if self.exhausted.get() || self.stopped_at.get().is_some() {
                    return Next::Stop;
                }
                // Nothing released: the next run of the schedule, if it is due soon enough,
                // without waiting for the dispatcher to release it.
                match self.release_time(j) {
                    Some(due) if due <= now + self.early.get() => {
                        let upto = if self.drop_late && now.saturating_duration_since(due) > LATE {
                            // Every run due during a stall at once (up to the deadline):
                            // `skip_late` drops them in one step, not one pass each.
                            first_failing(j, |k| {
                                self.release_time(k).is_some() && self.is_late(start, k, now)
                            })
                        } else {
                            known_due = Some((j, due));
                            j + 1
                        };
                        self.released.set(upto);
                    }
                    None if !self.lasts_beyond(j, now) => {
                        self.exhaust();
                        return Next::Stop;
                    }
                    // A run due later, or the end of the run (the deadline, the last
                    // stage's end, when the dispatcher ends the schedule).
                    _ => {
                        self.idle.set(self.idle.get() + 1);
                        self.went_idle.notify_one();
                        self.release.notified().await;
                        self.idle.set(self.idle.get() - 1);
                        self.woken.set(self.woken.get().saturating_sub(1));
                        if shutdown.is_stopping() {
                            return Next::Stop;
                        }
                        continue;
                    }
                }
            }
            let j = if self.drop_late {
                self.skip_late(start, j, now)
            } else {
                j
            };
            if j >= self.released.get() {
                continue;
            }
            self.next.set(j + 1);
            let due = match known_due {
                Some((k, due)) if k == j => Some(due),
                _ => self.due(start, j),
            }
            .unwrap_or(now);
            let lag = now.saturating_duration_since(due);
            if lag > LATE {
                self.late.set(self.late.get() + 1);
                self.progress.run_late();
            }
            self.started.set(self.started.get() + 1);
            self.lag.borrow_mut().record(lag);
            return Next::Run(Some(Late { lag, now }));
        }
    }

    /// With `--drop-late`: drops the waiting runs from `j` that are already late, found by
    /// bisection (due times only grow); returns the first that is not.
    fn skip_late(&self, start: Instant, j: u64, now: Instant) -> u64 {
        let released = self.released.get();
        let high = first_failing(j, |k| k < released && self.is_late(start, k, now));
        if high == j {
            return j;
        }
        let skipped = high - j;
        self.dropped.set(self.dropped.get() + skipped);
        self.progress.runs_dropped(skipped);
        self.next.set(high);
        high
    }

    /// Whether run `k` of the schedule started at `start` is more than [`LATE`] past due at
    /// `now` (a run the schedule does not have is not).
    fn is_late(&self, start: Instant, k: u64, now: Instant) -> bool {
        self.due(start, k)
            .is_some_and(|due| now.saturating_duration_since(due) > LATE)
    }

    /// Returns once the schedule started.
    pub(crate) async fn begun(&self) {
        loop {
            let begun = self.begun.notified();
            if self.start.get().is_some() {
                return;
            }
            begun.await;
        }
    }

    /// The schedule's rate at `t` seconds from its start, runs per second (all processes).
    pub(crate) fn rate_now(&self) -> f64 {
        self.start
            .get()
            .map_or(0.0, |s| self.schedule.rate_at(s.elapsed().as_secs_f64()))
    }
}

#[cfg(test)]
mod tests;
