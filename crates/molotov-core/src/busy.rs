//! How busy the load generator itself is. Every worker of a process runs on one thread; when
//! that thread never waits for the network, the generator is the run's bottleneck: runs start
//! late (the open model), requests wait in the generator before they are sent, and the
//! latencies measured count the generator's own queueing as the server's.
//!
//! Once a second (with the timeline's clock) the engine reads its thread's times from a
//! [`ThreadClock`] given by the host ([`Runner::measure_busy`](crate::Runner::measure_busy)):
//! how long it ran on a core and how long it waited for one. A second in which the thread ran
//! or waited for at least [`SATURATED`] of the time was a saturated one: the run says so once
//! as it happens (a warning notice), and the [`GeneratorLoad`] of the summary counts them.
//! The waiting share tells a busy generator (running) from a crowded machine (waiting).

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
    /// And the time they waited for one (another process had it).
    pub waiting_seconds: f64,
    /// The saturated seconds ([`SATURATED`]), summed over the processes.
    pub saturated_seconds: u64,
    /// The busiest second of any process: its share running or waiting.
    pub peak: f64,
}

impl GeneratorLoad {
    /// The mean share of the time a process's thread ran or waited for a core.
    pub fn busy(&self) -> f64 {
        if self.seconds > 0.0 {
            (self.running_seconds + self.waiting_seconds) / self.seconds
        } else {
            0.0
        }
    }

    /// Adds another process's.
    pub fn absorb(&mut self, other: &GeneratorLoad) {
        self.seconds += other.seconds;
        self.running_seconds += other.running_seconds;
        self.waiting_seconds += other.waiting_seconds;
        self.saturated_seconds = self
            .saturated_seconds
            .saturating_add(other.saturated_seconds);
        self.peak = self.peak.max(other.peak);
    }
}

/// One interval's reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    /// The share of the interval the thread ran or waited for a core.
    pub(crate) busy: f64,
    /// Whether it is the run's first saturated interval (to warn about it once).
    pub(crate) first_saturated: bool,
}

/// The engine's meter: the thread's times at the last reading, and the totals.
pub(crate) struct BusyMeter {
    clock: ThreadClock,
    last: Cell<Option<ThreadTimes>>,
    load: RefCell<GeneratorLoad>,
    warned: Cell<bool>,
}

impl BusyMeter {
    /// Starts measuring now (on the engine's thread).
    pub(crate) fn start(clock: ThreadClock) -> BusyMeter {
        let last = clock();
        BusyMeter {
            clock,
            last: Cell::new(last),
            load: RefCell::new(GeneratorLoad::default()),
            warned: Cell::new(false),
        }
    }

    /// Reads the thread's times at the end of an interval of `covered` wall-clock time; returns
    /// the interval's busy share (`None` for a sliver, or when nothing can be read).
    pub(crate) fn sample(&self, covered: Duration) -> Option<Sample> {
        let now = (self.clock)()?;
        let before = self.last.replace(Some(now))?;
        let running = now.running.saturating_sub(before.running);
        let waiting = now.waiting.saturating_sub(before.waiting);
        let wall = covered.as_secs_f64();
        let mut load = self.load.borrow_mut();
        load.seconds += wall;
        load.running_seconds += running.as_secs_f64();
        load.waiting_seconds += waiting.as_secs_f64();
        if covered < SHORTEST {
            return None;
        }
        // A reading may run a little past the interval the clock closed: at most all of it.
        let busy = ((running + waiting).as_secs_f64() / wall).min(1.0);
        load.peak = load.peak.max(busy);
        let saturated = busy >= SATURATED;
        if saturated {
            load.saturated_seconds += 1;
        }
        Some(Sample {
            busy,
            first_saturated: saturated && !self.warned.replace(true),
        })
    }

    /// The totals so far; `None` when nothing was measured (the clock cannot be read).
    pub(crate) fn load(&self) -> Option<GeneratorLoad> {
        let load = self.load.borrow();
        (load.seconds > 0.0).then(|| load.clone())
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

    /// A clock whose readings the test sets.
    fn clock() -> (ThreadClock, Rc<Cell<ThreadTimes>>) {
        let times = Rc::new(Cell::new(ThreadTimes::default()));
        let read = times.clone();
        (Rc::new(move || Some(read.get())), times)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn advance(times: &Cell<ThreadTimes>, running: u64, waiting: u64) {
        let t = times.get();
        times.set(ThreadTimes {
            running: t.running + ms(running),
            waiting: t.waiting + ms(waiting),
        });
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn saturated_seconds_are_counted_and_the_first_one_is_told_once() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        // An idle second, a busy one, a crowded one (running 50 %, waiting 45 %), a busy one.
        let sample = |busy, first_saturated| {
            Some(Sample {
                busy,
                first_saturated,
            })
        };
        advance(&times, 200, 0);
        assert_eq!(meter.sample(ms(1000)), sample(0.2, false));
        advance(&times, 970, 0);
        assert_eq!(meter.sample(ms(1000)), sample(0.97, true));
        advance(&times, 500, 450);
        assert_eq!(meter.sample(ms(1000)), sample(0.95, false), "told once");
        advance(&times, 1000, 20);
        assert_eq!(meter.sample(ms(1000)), sample(1.0, false));
        let load = meter.load().unwrap();
        assert_eq!(load.saturated_seconds, 3);
        assert_eq!(load.seconds, 4.0);
        assert!((load.running_seconds - 2.67).abs() < 1e-9);
        assert!((load.waiting_seconds - 0.47).abs() < 1e-9);
        assert_eq!(
            load.peak, 1.0,
            "a reading past the interval counts as all of it"
        );
        assert!((load.busy() - (2.67 + 0.47) / 4.0).abs() < 1e-9);
    }

    #[test]
    fn the_sliver_a_run_ends_with_counts_in_the_totals_only() {
        let (clock, times) = clock();
        let meter = BusyMeter::start(clock);
        advance(&times, 100, 0);
        assert_eq!(meter.sample(ms(100)), None);
        let load = meter.load().unwrap();
        assert_eq!(load.saturated_seconds, 0);
        assert!(load.peak < f64::EPSILON);
        assert!((load.running_seconds - 0.1).abs() < 1e-9);
    }

    #[test]
    fn a_clock_that_cannot_be_read_measures_nothing() {
        let meter = BusyMeter::start(Rc::new(|| None));
        assert_eq!(meter.sample(ms(1000)), None);
        assert_eq!(meter.load(), None);
    }

    #[test]
    #[allow(clippy::float_cmp)]
    fn processes_add_up_and_the_busiest_second_is_the_peak() {
        let mut a = GeneratorLoad {
            seconds: 10.0,
            running_seconds: 9.5,
            waiting_seconds: 0.0,
            saturated_seconds: 8,
            peak: 0.99,
        };
        let b = GeneratorLoad {
            seconds: 10.0,
            running_seconds: 2.0,
            waiting_seconds: 1.0,
            saturated_seconds: 0,
            peak: 0.4,
        };
        a.absorb(&b);
        assert_eq!(a.seconds, 20.0);
        assert_eq!(a.saturated_seconds, 8);
        assert_eq!(a.peak, 0.99);
        assert!((a.busy() - 12.5 / 20.0).abs() < 1e-9);
    }
}
