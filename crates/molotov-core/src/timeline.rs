//! The timeline's clock: once a second the run's [`Stats`](molotov_stats::Stats) closes its
//! current interval, with the workers running and, in the open model, what the schedule did
//! in that second; the run's end closes the last, partial one. On the same ticks the
//! generator's thread is measured (`busy`), with or without a timeline.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use molotov_stats::{Gauges, IntervalArrivals};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::busy::Interval;
use crate::notice::Notice;
use crate::pacing::Pacing;
use crate::worker::Shared;

/// When the current interval opened, and the open model's cumulative counts then.
pub(crate) struct Clock {
    /// Off when the run keeps no timeline (`RunConfig::timeline`).
    on: bool,
    /// The run's start, on the monotonic clock and in Unix seconds: an interval is labelled
    /// with the wall-clock second it opened in, however late the ticks came.
    start: Instant,
    unix_start: f64,
    opened: Cell<Instant>,
    counts: Cell<IntervalArrivals>,
}

impl Clock {
    /// Starts the timeline (labelled with the wall-clock second the run starts in) and the
    /// task that closes an interval each second after `start` (added to `helpers`), unless
    /// the run keeps no timeline and measures no thread.
    pub(crate) fn start(
        shared: &Rc<Shared>,
        start: Instant,
        helpers: &mut Vec<JoinHandle<()>>,
    ) -> Rc<Clock> {
        let on = shared.env.info.config.timeline;
        let unix_start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let clock = Rc::new(Clock {
            on,
            start,
            unix_start,
            opened: Cell::new(start),
            counts: Cell::new(IntervalArrivals::default()),
        });
        if on {
            shared.env.stats.borrow_mut().start_timeline();
        }
        if on || shared.busy.is_some() {
            helpers.push(Clock::tick(shared, start, clock.clone()));
        }
        clock
    }

    fn tick(shared: &Rc<Shared>, start: Instant, ticking: Rc<Clock>) -> JoinHandle<()> {
        let shared = shared.clone();
        tokio::task::spawn_local(async move {
            let second = Duration::from_secs(1);
            let mut ticker = tokio::time::interval_at(start + second, second);
            // A stalled thread closes the late second when it wakes, not a burst of empty ones.
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                ticking.close(&shared, Interval::Tick);
            }
        })
    }

    /// Closes the current interval (a tick's, or the run's last): it covered the time since
    /// it opened. The generator's thread is measured over it too.
    pub(crate) fn close(&self, shared: &Shared, interval: Interval) {
        let now = Instant::now();
        let opened = self.opened.replace(now);
        let covered = now.duration_since(opened);
        let sample = shared
            .busy
            .as_ref()
            .and_then(|m| m.sample(covered, interval));
        match (sample, interval) {
            (Some(sample), _) => {
                shared.progress.set_generator_busy(Some(sample.busy));
                if sample.warn {
                    let warning = crate::busy::warning(sample.busy);
                    shared.env.notices.send(Notice::Warning(warning));
                }
            }
            // No reading at a tick: the live views show nothing rather than an older second.
            (None, Interval::Tick) => shared.progress.set_generator_busy(None),
            // The run's sliver of an end: the final snapshot keeps the last whole second's.
            (None, Interval::Last) => {}
        }
        if !self.on {
            return;
        }
        let at = self.unix_start + opened.duration_since(self.start).as_secs_f64();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a Unix time in seconds, positive and far below 2^63"
        )]
        let t = at.floor().max(0.0) as u64;
        let arrivals = match &shared.pacing {
            Pacing::Open(timetable) => {
                let counts = timetable.counts_so_far();
                let before = self.counts.replace(counts);
                Some(IntervalArrivals {
                    scheduled: counts.scheduled.saturating_sub(before.scheduled),
                    started: counts.started.saturating_sub(before.started),
                    late: counts.late.saturating_sub(before.late),
                    dropped: counts.dropped.saturating_sub(before.dropped),
                })
            }
            _ => None,
        };
        let gauges = Gauges {
            workers: shared.progress.workers() as u64,
            arrivals,
            generator_busy: sample.map(|s| s.busy),
        };
        shared
            .env
            .stats
            .borrow_mut()
            .close_interval(t, covered.as_secs_f64(), gauges);
    }
}
