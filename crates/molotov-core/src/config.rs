//! [`RunConfig`]: how a run goes, as validated plain data.
//!
//! Nothing here parses: the command line (or a test) builds a `RunConfig` once, with types that
//! make bad values unrepresentable (`NonZeroUsize` workers, `Duration`s), and the engine only
//! reads it.

use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

use crate::schedule::{Schedule, Stages};
use crate::vars::Vars;

/// What fixtures receive about the run: its settings and its shared variables (Molotov passes
/// the command-line `args`). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// The run's settings.
    pub config: Arc<RunConfig>,
    /// The run's shared variables.
    pub vars: Vars,
}

/// Which scenario a worker runs next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    /// Weighted random picking, or the plan's scenario picker if it has one.
    #[default]
    Weighted,
    /// `-s NAME`: this scenario, over and over.
    Single(String),
    /// `--single-run`: every scenario once per worker, in name order.
    SingleRun,
}

/// The grace of the scenarios in flight after a graceful stop unless told otherwise (as
/// k6's `gracefulStop`).
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(30);

/// How load is made.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// The closed model: each worker starts its next run when its last one ended (Molotov's
    /// model). With stages, the number of running workers follows them (from `-w`): workers
    /// over the count finish their current run and stop (running `teardown`), and new ones
    /// start when it rises.
    Closed(Option<Stages>),
    /// The open model: runs start on a schedule, whatever the server's pace.
    Open(Arrivals),
}

impl Default for Load {
    fn default() -> Self {
        Load::Closed(None)
    }
}

/// The open model: when runs are due, and the workers they borrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    /// When run `k` is due (for the whole run: every process together).
    pub schedule: Schedule,
    /// The most workers this process starts: `-w` are started before the schedule starts;
    /// when due runs wait for a busy worker, more, up to this.
    pub max_workers: NonZeroUsize,
    /// Drop the runs that are due while every worker is busy, instead of starting them late.
    pub drop_late: bool,
}

/// The timer the open model releases its runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timer {
    /// Microseconds (a `timerfd` on Linux; tokio's timer elsewhere). Follows the real clock.
    #[default]
    Precise,
    /// tokio's timer: millisecond ticks, but it follows tokio's clock, paused or not (for
    /// tests on paused time).
    Runtime,
}

/// How live views get the run's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveReport {
    /// A snapshot this often.
    pub period: Duration,
    /// Whether snapshots carry the timeline (a view that draws it over time asks for it; the
    /// others spare the copy, which grows with the run).
    pub timeline: bool,
}

/// Which share of the run's load this process makes: of the open model's runs, those whose
/// index `k` has `k % count == index` (striped, so the processes together keep the schedule
/// without bursts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// This process's place, from 0.
    pub index: usize,
    /// How many share the run.
    pub count: NonZeroUsize,
}

impl Default for Partition {
    fn default() -> Self {
        Partition {
            index: 0,
            count: NonZeroUsize::MIN,
        }
    }
}

impl Partition {
    /// The global index of this partition's `j`-th run.
    pub fn run(self, j: u64) -> u64 {
        (self.index as u64).saturating_add(j.saturating_mul(self.count.get() as u64))
    }
}

/// The settings of one run.
#[derive(Debug, Clone)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, each a command-line flag"
)]
pub struct RunConfig {
    /// Concurrent workers in this process (`-w`).
    pub workers: NonZeroUsize,
    /// Stop after this long (`-d`), counted from the start of the run, ramp-up included.
    /// `None`, or a duration too long for the clock: no time limit.
    pub duration: Option<Duration>,
    /// Stop each worker after this many scenario runs (`-r`).
    pub max_runs: Option<NonZeroU64>,
    /// How scenarios are picked.
    pub mode: Mode,
    /// Spread the workers' starts over this long (`--ramp-up`): worker `i` of `w` starts at
    /// `i * ramp_up / w`.
    pub ramp_up: Duration,
    /// Pause after every scenario run (`--delay`), added to the scenario's own delay.
    pub delay: Duration,
    /// Stop everything at the first failure (`-x`).
    pub fail_fast: bool,
    /// How long the scenarios in flight may go on once the run is asked to stop gracefully
    /// (the deadline, `-x`, a failed fixture, `--sizing`, Ctrl-C): after it, they are
    /// cancelled, as by [`Shutdown::abort`](crate::Shutdown::abort) (counted as cancelled;
    /// teardowns still run). `--graceful-stop`, default [`DEFAULT_GRACEFUL_STOP`];
    /// `--force-shutdown` makes it zero. A grace too long for the clock means no limit.
    pub graceful_stop: Duration,
    /// 0: quiet about details; 1: failures with their full cause; 2: also dump every request
    /// and response.
    pub verbose: u8,
    /// Seed of the scenario picker's random numbers, for repeatable runs.
    pub seed: Option<u64>,
    /// The id of this process's first worker. With several processes, each gets its own range
    /// so that worker ids are unique across the run.
    pub first_worker_id: usize,
    /// Run `global_setup` and `global_teardown` here (false in the child processes of a
    /// multi-process run, where the parent runs them).
    pub global_fixtures: bool,
    /// The most distinct request keys tracked before new ones are grouped as `"(other)"`.
    pub request_key_limit: usize,
    /// Connections to these origins go elsewhere (`--connect-to`).
    pub connect_to: Vec<molotov_http::ConnectTo>,
    /// Every session speaks HTTP/2 (`--http2`).
    pub http2: bool,
    /// Start the load at this wall-clock time (after `global_setup`): processes and machines
    /// started at different moments run the same seconds (`--start-at`).
    pub start_at: Option<std::time::SystemTime>,
    /// Publish snapshots of the statistics, for live views
    /// ([`Progress::latest_report`](crate::Progress::latest_report)).
    pub live_report: Option<LiveReport>,
    /// The closed model (default) or the open model.
    pub load: Load,
    /// This process's share of an open-model run's schedule.
    pub partition: Partition,
    /// The open model's timer.
    pub timer: Timer,
    /// Keep the run's timeline (`Report::timeline`: what happened each second). On by
    /// default; its ticker wakes the runtime once a second, which a test on paused time that
    /// skips years of pauses may not want.
    pub timeline: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            workers: NonZeroUsize::MIN,
            duration: None,
            max_runs: None,
            mode: Mode::Weighted,
            ramp_up: Duration::ZERO,
            delay: Duration::ZERO,
            fail_fast: false,
            graceful_stop: DEFAULT_GRACEFUL_STOP,
            verbose: 0,
            seed: None,
            first_worker_id: 0,
            global_fixtures: true,
            request_key_limit: 1000,
            connect_to: Vec::new(),
            http2: false,
            start_at: None,
            live_report: None,
            load: Load::default(),
            partition: Partition::default(),
            timer: Timer::default(),
            timeline: true,
        }
    }
}

impl RunConfig {
    /// The most workers this process may run at once: `-w`, the open model's `max_workers`,
    /// or the highest count of the closed model's stages. Worker ids of several processes are
    /// this far apart.
    pub fn worker_slots(&self) -> usize {
        let workers = self.workers.get();
        match &self.load {
            Load::Closed(None) => workers,
            Load::Closed(Some(stages)) => {
                let peak = stages.0.iter().map(|s| s.target).fold(0.0, f64::max);
                // Stage counts are small whole numbers; the cast only drops a fraction.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let peak = peak.ceil().min(1e9) as usize;
                workers.max(peak)
            }
            Load::Open(arrivals) => workers.max(arrivals.max_workers.get()),
        }
    }

    /// When worker `index` (0-based, within this process) starts, relative to the run's start:
    /// `index * ramp_up / workers`, computed without overflow for any `ramp_up`.
    pub fn ramp_delay(&self, index: usize) -> Duration {
        if self.ramp_up.is_zero() {
            return Duration::ZERO;
        }
        // In nanoseconds, exactly: floor(n * i / w) = (n / w) * i + floor((n % w) * i / w),
        // where neither product can overflow a u128 (n < 2^94, i <= w < 2^64).
        let workers = self.workers.get() as u128;
        let index = (index as u128).min(workers);
        let n = self.ramp_up.as_nanos();
        let nanos = n / workers * index + n % workers * index / workers;
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        Duration::new(secs, sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_up_spreads_starts_evenly() {
        let config = RunConfig {
            workers: NonZeroUsize::new(5).unwrap(),
            ramp_up: Duration::from_secs(10),
            ..RunConfig::default()
        };
        let starts: Vec<u64> = (0..5).map(|i| config.ramp_delay(i).as_secs()).collect();
        assert_eq!(starts, [0, 2, 4, 6, 8]);
        assert_eq!(RunConfig::default().ramp_delay(3), Duration::ZERO);
    }

    #[test]
    fn a_huge_ramp_up_does_not_overflow() {
        let config = RunConfig {
            workers: NonZeroUsize::new(usize::MAX).unwrap(),
            ramp_up: Duration::MAX,
            ..RunConfig::default()
        };
        assert_eq!(config.ramp_delay(0), Duration::ZERO);
        let last = config.ramp_delay(usize::MAX - 1);
        assert!(last < Duration::MAX && last > Duration::MAX / 2, "{last:?}");
        assert!(config.ramp_delay(usize::MAX) <= Duration::MAX);
        let three = RunConfig {
            workers: NonZeroUsize::new(3).unwrap(),
            ..config
        };
        assert_eq!(three.ramp_delay(1).as_secs(), u64::MAX / 3);
        assert_eq!(three.ramp_delay(2).as_secs(), u64::MAX / 3 * 2);
    }
}
