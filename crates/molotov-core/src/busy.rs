//! How busy the load generator itself is. Every worker of a process runs on one thread; when
//! that thread never waits for the network, the generator is the run's bottleneck: runs start
//! late (the open model), requests wait in the generator before they are sent, and the
//! latencies measured count the generator's own queueing as the server's.
//!
//! Once a second (on the timeline's clock, which ticks for this even when the run keeps no
//! timeline) and at the run's end the engine reads its thread's times from a [`ThreadClock`]
//! given by the host ([`Runner::measure_busy`](crate::Runner::measure_busy)): how long it ran
//! on a core and how long it waited for one. A second in which the thread ran or waited for at
//! least [`SATURATED`] of the time was a saturated one: the run says so once as it happens (a
//! warning notice; not for the first second, which holds the workers' setup, nor for the last,
//! which holds the stop and the teardowns), and the [`GeneratorLoad`] of the summary counts
//! them. The waiting share tells a busy generator (running) from a crowded machine (waiting).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A second in which the engine's thread ran or waited for a core this share of the time or
/// more was saturated (Locust warns at 90 % of a core too).
pub const SATURATED: f64 = 0.9;

/// An interval shorter than this (the sliver a run ends with) counts in the totals, never as
/// a saturated second: a few busy milliseconds say nothing.
const SHORTEST: Duration = Duration::from_millis(500);

/// What the thread running the workers did since it started: its times on and waiting for a
/// core (Linux's `/proc/thread-self/schedstat`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadTimes {
    /// Running on a core.
    pub running: Duration,
    /// Ready to run, waiting for a core.
    pub waiting: Duration,
}

/// Reads the calling thread's [`ThreadTimes`]; `None` where they cannot be read.
pub type ThreadClock = Rc<dyn Fn() -> Option<ThreadTimes>>;

/// How busy the load generator's threads were over a run (summed over processes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorLoad {
    /// The seconds measured, summed over the processes (process-seconds).
    pub seconds: f64,
    /// Of those, the time the engine's threads ran on a core.
    pub running_seconds: f64,
    /// And the time they waited for one (another program had it).
    pub waiting_seconds: f64,
    /// The time in saturated intervals ([`SATURATED`]), summed over the processes.
    pub saturated_seconds: f64,
    /// The busiest second of any process: its share running or waiting (the whole run's, for
    /// a run too short to have a whole second).
    pub peak: f64,
}

impl GeneratorLoad {
    /// The mean share of the time a process's thread ran or waited for a core.
    pub fn busy(&self) -> f64 {
        self.share(self.running_seconds + self.waiting_seconds)
    }

    /// `seconds` as a share of the seconds measured (0 when none were).
    pub fn share(&self, seconds: f64) -> f64 {
        if self.seconds > 0.0 {
            (seconds / self.seconds).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Adds another process's.
    pub fn absorb(&mut self, other: &GeneratorLoad) {
        self.seconds += other.seconds;
        self.running_seconds += other.running_seconds;
        self.waiting_seconds += other.waiting_seconds;
        self.saturated_seconds += other.saturated_seconds;
        self.peak = self.peak.max(other.peak);
    }
}

/// One interval's reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    /// The share of the interval the thread ran or waited for a core.
    pub(crate) busy: f64,
    /// Whether to warn: the run's first saturated interval, neither its first (workers being
    /// set up) nor its last (the stop, the teardowns).
    pub(crate) warn: bool,
}

/// Which interval of the run a reading ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interval {
    /// A tick of the clock.
    Tick,
    /// The run's end.
    Last,
}

/// The engine's meter: the thread's times at the last reading, and the totals.
pub(crate) struct BusyMeter {
    clock: ThreadClock,
    last: Cell<Option<ThreadTimes>>,
    load: RefCell<GeneratorLoad>,
    /// Whole intervals read so far.
    intervals: Cell<u64>,
    warned: Cell<bool>,
}

impl BusyMeter {
    /// Starts measuring now (on the engine's thread).
    pub(crate) fn start(clock: ThreadClock) -> BusyMeter {
        // A fresh thread may read 0 (its counts lag by a tick): its start is then 0.
        let last = clock();
        BusyMeter {
            clock,
            last: Cell::new(last),
            load: RefCell::new(GeneratorLoad::default()),
            intervals: Cell::new(0),
            warned: Cell::new(false),
        }
    }

    /// Reads the thread's times at the end of an interval of `covered` wall-clock time; returns
    /// the interval's busy share (`None` for a sliver, or when nothing can be read: then the
    /// next interval starts from the next reading, not from an older one).
    pub(crate) fn sample(&self, covered: Duration, interval: Interval) -> Option<Sample> {
        // A thread that ran for a while never reads 0: a kernel that keeps no counts does.
        let now = (self.clock)().filter(|t| !t.running.is_zero());
        let before = self.last.replace(now);
        let (now, before) = (now?, before?);
        let running = now.running.saturating_sub(before.running);
        let waiting = now.waiting.saturating_sub(before.waiting);
        let wall = covered.as_secs_f64();
        let mut load = self.load.borrow_mut();
        load.seconds += wall;
        // A reading may run a little past the interval the clock closed: at most all of it.
        let busy_seconds = (running + waiting).as_secs_f64().min(wall);
        let running_seconds = running.as_secs_f64().min(wall);
        load.running_seconds += running_seconds;
        load.waiting_seconds += (busy_seconds - running_seconds).max(0.0);
        if covered < SHORTEST {
            return None;
        }
        let busy = busy_seconds / wall;
        load.peak = load.peak.max(busy);
        let saturated = busy >= SATURATED;
        if saturated {
            load.saturated_seconds += wall;
        }
        let first = self.intervals.replace(self.intervals.get() + 1) == 0;
        let warn = saturated && !first && interval == Interval::Tick && !self.warned.get();
        if warn {
            self.warned.set(true);
        }
        Some(Sample { busy, warn })
    }

    /// The totals so far; `None` when nothing was measured (the clock cannot be read).
    pub(crate) fn load(&self) -> Option<GeneratorLoad> {
        let mut load = self.load.borrow().clone();
        if load.seconds <= 0.0 {
            return None;
        }
        if self.intervals.get() == 0 {
            // No whole second: the run's own share is its busiest.
            load.peak = load.busy();
        }
        Some(load)
    }
}

/// The warning of the first saturated second.
pub(crate) fn warning(busy: f64) -> String {
    format!(
        "the load generator is CPU-bound: its thread was busy {:.0}% of the last second; from \
         now on its own delays add to the latencies measured (spread the load over more \
         processes with -p, or over machines with --shard)",
        busy * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock whose readings the test sets (`None`: it cannot be read).
    fn clock() -> (ThreadClock, Rc<Cell<Option<ThreadTimes>>>) {
        let times = Rc::new(Cell::new(Some(ThreadTimes::default())));
        let read = times.clone();
        (Rc::new(move || read.get()), times)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn advance(times: &Cell<Option<ThreadTimes>>, running: u64, waiting: u64) {
        let t = times.get().unwrap_or_default();
        times.set(Some(ThreadTimes {
            running: t.running + ms(running),
            waiting: t.waiting + ms(waiting),
        }));
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn saturated_seconds_are_counted_and_the_first_after_the_start_is_told_once() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        let sample = |busy, warn| Some(Sample { busy, warn });
        // A busy first second (workers setting up): counted, not told.
        advance(&times, 980, 0);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), sample(0.98, false));
        advance(&times, 200, 0);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), sample(0.2, false));
        advance(&times, 970, 0);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), sample(0.97, true));
        // Running 50 %, waiting 45 %: saturated too, told once only.
        advance(&times, 500, 450);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), sample(0.95, false));
        // A reading past its interval counts as all of it, no more.
        advance(&times, 1000, 20);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), sample(1.0, false));
        let load = meter.load().unwrap();
        assert!(close(load.saturated_seconds, 4.0), "{load:?}");
        assert!(close(load.seconds, 5.0));
        assert!(close(load.running_seconds, 3.65), "{load:?}");
        assert!(close(load.waiting_seconds, 0.45), "{load:?}");
        assert!(close(load.peak, 1.0));
        assert!(close(load.busy(), 4.1 / 5.0));
    }

    #[test]
    fn the_last_interval_counts_but_never_warns() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        advance(&times, 100, 0);
        meter.sample(ms(1000), Interval::Tick);
        advance(&times, 900, 0);
        let last = meter.sample(ms(900), Interval::Last).unwrap();
        assert!(!last.warn);
        assert!(close(meter.load().unwrap().saturated_seconds, 0.9));
    }

    #[test]
    fn a_run_shorter_than_a_second_has_its_own_share_as_its_peak() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        advance(&times, 100, 0);
        assert_eq!(meter.sample(ms(100), Interval::Last), None);
        let load = meter.load().unwrap();
        assert!(close(load.saturated_seconds, 0.0));
        assert!(close(load.peak, 1.0), "all of its 100 ms: {load:?}");
        assert!(close(load.running_seconds, 0.1));
    }

    #[test]
    fn a_failed_reading_restarts_the_interval_from_the_next_one() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        advance(&times, 300, 0);
        let saved = times.get();
        times.set(None);
        assert_eq!(meter.sample(ms(1000), Interval::Tick), None);
        times.set(saved);
        advance(&times, 300, 0);
        // Two seconds of 30 % are not one of 60 %: the second is measured from the next reading.
        assert_eq!(meter.sample(ms(1000), Interval::Tick), None);
        advance(&times, 300, 0);
        let sample = meter.sample(ms(1000), Interval::Tick).unwrap();
        assert!(close(sample.busy, 0.3), "{sample:?}");
    }

    #[test]
    fn a_clock_that_cannot_be_read_or_reads_only_zeros_measures_nothing() {
        let unreadable = BusyMeter::start(Rc::new(|| None));
        let zeros = BusyMeter::start(Rc::new(|| Some(ThreadTimes::default())));
        for meter in [unreadable, zeros] {
            assert_eq!(meter.sample(ms(1000), Interval::Tick), None);
            assert_eq!(meter.sample(ms(1000), Interval::Last), None);
            assert_eq!(meter.load(), None);
        }
    }

    #[test]
    fn processes_add_up_and_the_busiest_second_is_the_peak() {
        let mut a = GeneratorLoad {
            seconds: 10.0,
            running_seconds: 9.5,
            waiting_seconds: 0.0,
            saturated_seconds: 8.0,
            peak: 0.99,
        };
        let b = GeneratorLoad {
            seconds: 10.0,
            running_seconds: 2.0,
            waiting_seconds: 1.0,
            saturated_seconds: 0.0,
            peak: 0.4,
        };
        a.absorb(&b);
        assert!(close(a.seconds, 20.0));
        assert!(close(a.saturated_seconds, 8.0));
        assert!(close(a.peak, 0.99));
        assert!(close(a.busy(), 12.5 / 20.0));
    }
}
