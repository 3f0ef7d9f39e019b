//! The load models beside Molotov's closed one: the open model (runs start on a schedule of
//! arrivals, whatever the server's pace: a constant rate or ramping stages; late starts
//! counted and their lag added to the latency, or dropped; workers added when every one is
//! busy; the schedule striped over processes) and the closed model with stages (the worker
//! count follows them).
//!
//! The scenarios only sleep, on tokio's clock, and the clock is paused: time jumps to the next
//! timer whenever the run waits, so runs of seconds take no time and their starts land at
//! exact instants, which the scenarios record.

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::time::Duration;

use molotov_core::{
    ArrivalSummary, Arrivals, Load, Partition, Plan, RunConfig, Scenario, Schedule, Session,
    Stages, Summary, Timer,
};
use tokio::time::Instant;

use crate::support::run;

/// A run's start (since the test began), its worker, and how late it was.
type Start = (Duration, usize, Option<Duration>);

/// The runs' starts, in order.
#[derive(Clone, Default)]
struct Starts(Rc<RefCell<Vec<Start>>>);

impl Starts {
    fn times(&self) -> Vec<Duration> {
        self.0.borrow().iter().map(|s| s.0).collect()
    }
}

/// A scenario that records its start, then sleeps `take(n)` for its `n`-th run (from 0).
fn recorded(starts: &Starts, origin: Instant, take: fn(usize) -> Duration) -> Scenario {
    let starts = starts.clone();
    Scenario::new("timed", move |session: Session| {
        let starts = starts.clone();
        async move {
            let n = {
                let mut s = starts.0.borrow_mut();
                s.push((
                    origin.elapsed(),
                    session.worker_id(),
                    session.context().lag(),
                ));
                s.len() - 1
            };
            tokio::time::sleep(take(n)).await;
            // The timers that fire with this one (the dispatcher's) run first: a run ending
            // as another falls due ends after the dispatcher looked.
            tokio::task::yield_now().await;
            Ok(())
        }
    })
}

fn open(
    schedule: Schedule,
    workers: usize,
    max_workers: usize,
    duration: Option<u64>,
) -> RunConfig {
    RunConfig {
        workers: NonZeroUsize::new(workers).unwrap(),
        duration: duration.map(Duration::from_secs),
        load: Load::Open(Arrivals {
            schedule,
            max_workers: NonZeroUsize::new(max_workers).unwrap(),
            drop_late: false,
        }),
        // tokio's timer follows the paused clock (a timerfd follows the real one).
        timer: Timer::Runtime,
        ..RunConfig::default()
    }
}

fn arrivals(summary: &Summary) -> ArrivalSummary {
    summary
        .arrivals
        .clone()
        .expect("an open-model run has arrivals")
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn a_constant_rate_starts_runs_evenly_whatever_their_length() {
    let origin = Instant::now();
    let starts = Starts::default();
    // Runs of 30 ms at 200 per second: six at once, from 8 workers.
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(30)));
    let summary = run(plan, open(Schedule::constant(200.0), 8, 8, Some(5))).await;

    assert_eq!(summary.successes(), 1000, "200 per second for 5 s");
    let a = arrivals(&summary);
    assert_eq!(
        (a.scheduled, a.started, a.late, a.dropped),
        (1000, 1000, 0, 0)
    );
    assert!(a.max_lag() <= ms(1), "max lag {:?}", a.max_lag());
    assert_eq!(a.lag.count(), 1000, "every start's lag");
    assert!((a.target_rate - 200.0).abs() < 1.0, "{}", a.target_rate);
    let mut buckets = [0u32; 50];
    for t in starts.times() {
        buckets[usize::try_from(t.as_millis() / 100).unwrap()] += 1;
    }
    assert!(
        buckets.iter().all(|&n| n == 20),
        "runs per 100 ms: {buckets:?}"
    );
    // Run k started within the timer's half millisecond of k / 200 s.
    for (k, t) in starts.times().into_iter().enumerate() {
        let due = Duration::from_secs_f64(k as f64 / 200.0);
        assert!(t.abs_diff(due) <= ms(1), "run {k} at {t:?}");
    }
    // The latency of a run on time is its service time (30 ms), not more.
    let entry = summary.report.scenarios.values().next().unwrap();
    assert!(entry.latency.percentile(99.0) < ms(32));
    assert_eq!(entry.service_latency.as_ref().unwrap().count(), 1000);
}

#[tokio::test(start_paused = true)]
async fn a_ramp_starts_run_k_when_the_ramped_rate_has_made_k_runs() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(5)));
    let stages: Stages = "10s:10".parse().unwrap();
    // No -d: the schedule ends with its last stage, and so does the run.
    let summary = run(plan, open(Schedule::ramping(0.0, stages), 2, 2, None)).await;

    // From 0 to 10 per second over 10 s: t²/2 runs by t, 50 in all, run k at √(2k) s.
    assert_eq!(summary.successes(), 50);
    for (k, t) in starts.times().into_iter().enumerate() {
        let due = Duration::from_secs_f64((2.0 * k as f64).sqrt());
        assert!(t.abs_diff(due) <= ms(1), "run {k} at {t:?}, due at {due:?}");
    }
    assert!(
        summary.elapsed >= ms(9_900) && summary.elapsed < ms(10_100),
        "{:?}",
        summary.elapsed
    );
}

/// Runs of 5 ms, except the one started first at or after 1 s, which stalls for 1 s.
fn stall_at_one_second(starts: &Starts, origin: Instant) -> Scenario {
    let starts = starts.clone();
    let stalled = Rc::new(std::cell::Cell::new(false));
    Scenario::new("stalls", move |_: Session| {
        let (starts, stalled) = (starts.clone(), stalled.clone());
        async move {
            let t = origin.elapsed();
            starts.0.borrow_mut().push((t, 0, None));
            let take = if t >= ms(1000) && !stalled.replace(true) {
                ms(1000)
            } else {
                ms(5)
            };
            tokio::time::sleep(take).await;
            Ok(())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn runs_held_up_by_a_stall_start_late_and_their_latency_counts_the_wait() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(stall_at_one_second(&starts, origin));
    // One worker, 100 runs per second for 3 s: during the stall, 100 runs fall due.
    let summary = run(plan, open(Schedule::constant(100.0), 1, 1, Some(3))).await;

    let a = arrivals(&summary);
    assert_eq!(a.scheduled, 300);
    // The runs due during the stall start late, then the worker catches up at 5 ms a run
    // against 10 ms between runs: about 200 late runs, the first almost a second late.
    assert!((190..=205).contains(&a.late), "late: {a:?}");
    assert!(a.max_lag() >= ms(980), "{a:?}");
    assert_eq!(a.started, summary.successes());
    let entry = summary.report.scenarios.values().next().unwrap();
    // Corrected for coordinated omission: the top tenth waited most of the stall.
    let corrected = entry.latency.percentile(90.0);
    let service = entry.service_latency.as_ref().unwrap().percentile(90.0);
    assert!(corrected >= ms(800), "corrected p90 {corrected:?}");
    assert!(service <= ms(6), "service p90 {service:?}");
}

#[tokio::test(start_paused = true)]
async fn with_drop_late_the_runs_due_during_a_stall_are_dropped_and_counted() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(stall_at_one_second(&starts, origin));
    let mut config = open(Schedule::constant(100.0), 1, 1, Some(3));
    if let Load::Open(arrivals) = &mut config.load {
        arrivals.drop_late = true;
    }
    let summary = run(plan, config).await;

    let a = arrivals(&summary);
    assert_eq!(a.scheduled, 300);
    assert_eq!(a.late, 0);
    assert!((98..=101).contains(&a.dropped), "{a:?}");
    assert_eq!(a.started + a.dropped, a.scheduled);
    assert_eq!(summary.successes(), a.started);
    // Only the stalled run itself is slow: the dropped ones are not in the latencies.
    let entry = summary.report.scenarios.values().next().unwrap();
    assert!(entry.latency.percentile(99.0) <= ms(6));
    assert!(entry.latency.max() >= ms(1000));
}

#[tokio::test(start_paused = true)]
async fn workers_are_added_while_every_one_is_busy_up_to_the_most_allowed() {
    let origin = Instant::now();
    let starts = Starts::default();
    // 100 runs per second of 50 ms each: five at once.
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(50)));
    let summary = run(plan, open(Schedule::constant(100.0), 1, 20, Some(3))).await;

    let a = arrivals(&summary);
    assert_eq!((a.scheduled, a.started), (300, 300));
    assert!(a.late <= 5, "only while growing: {a:?}");
    assert!(
        (5..=7).contains(&summary.max_workers),
        "as many workers as the rate needs, not the most allowed: {}",
        summary.max_workers
    );
    let workers: std::collections::BTreeSet<usize> =
        starts.0.borrow().iter().map(|s| s.1).collect();
    assert_eq!(workers.len(), summary.max_workers);
}

/// One worker (up to 10) at 100 runs a second, the `n`-th run lasting `take(n)`: the runs'
/// (worker, lag), and the most workers the run had.
async fn first_run_overlapping_the_next(
    take: fn(usize) -> Duration,
) -> (Vec<(usize, Duration)>, usize) {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(recorded(&starts, origin, take));
    let summary = run(plan, open(Schedule::constant(100.0), 1, 10, Some(1))).await;
    let a = arrivals(&summary);
    assert_eq!((a.started, a.late), (a.scheduled, 0), "{a:?}");
    let runs = starts
        .0
        .borrow()
        .iter()
        .map(|s| (s.1, s.2.unwrap()))
        .collect();
    (runs, summary.max_workers)
}

#[tokio::test(start_paused = true)]
async fn a_run_due_as_its_worker_finishes_waits_for_it_not_for_a_new_worker() {
    // (The paused clock's timers fire on whole milliseconds: so do the runs' ends and the
    // dispatcher's wakes.) Run 1 falls due as the worker finishes run 0, after the dispatcher
    // found it busy: the worker takes it.
    let (runs, most) = first_run_overlapping_the_next(|n| ms(if n == 0 { 10 } else { 5 })).await;
    assert_eq!(most, 1, "{runs:?}");
    assert_eq!(runs[1], (0, Duration::ZERO));

    // The worker is busy 3 ms past run 1's due time: one more worker starts for it after a
    // quarter of a millisecond (at the next tick here), not when the first is free.
    let (runs, most) = first_run_overlapping_the_next(|n| ms(if n == 0 { 13 } else { 5 })).await;
    assert_eq!(most, 2, "{runs:?}");
    assert_ne!(runs[1].0, runs[0].0);
    assert!(
        (Duration::from_micros(250)..=ms(1)).contains(&runs[1].1),
        "{runs:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_most_workers_are_too_few_runs_start_late_and_the_lag_grows() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(50)));
    // Five needed, two allowed: 40 runs a second can start of the 100 due.
    let summary = run(plan, open(Schedule::constant(100.0), 1, 2, Some(2))).await;

    let a = arrivals(&summary);
    assert_eq!(summary.max_workers, 2);
    assert_eq!(a.scheduled, 200);
    assert!((78..=82).contains(&a.started), "{a:?}");
    assert_eq!(
        a.dropped,
        a.scheduled - a.started,
        "never started: not made up"
    );
    assert!(a.late >= a.started - 5);
    assert!(a.max_lag() >= ms(1000), "{a:?}");
    // The lags the runs saw grow steadily.
    let lags: Vec<Duration> = starts.0.borrow().iter().map(|s| s.2.unwrap()).collect();
    assert!(
        lags.windows(10).step_by(10).all(|w| w[9] >= w[0]),
        "{lags:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn processes_stripe_the_schedule_between_them() {
    let mut all = Vec::new();
    for index in 0..3 {
        let origin = Instant::now();
        let starts = Starts::default();
        let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(1)));
        let config = RunConfig {
            partition: Partition {
                index,
                count: NonZeroUsize::new(3).unwrap(),
            },
            first_worker_id: index * 4,
            ..open(Schedule::constant(300.0), 2, 4, Some(1))
        };
        let summary = run(plan, config).await;
        let a = arrivals(&summary);
        assert_eq!((a.scheduled, a.started), (100, 100), "process {index}");
        assert!((a.target_rate - 300.0).abs() < 1.0, "the whole run's rate");
        all.extend(starts.times());
    }
    // Together: one run every 1/300 s, none twice, none missing.
    all.sort();
    assert_eq!(all.len(), 300);
    for (k, t) in all.into_iter().enumerate() {
        let due = Duration::from_secs_f64(k as f64 / 300.0);
        assert!(t.abs_diff(due) <= ms(1), "run {k} at {t:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stop_before_the_end_counts_only_the_runs_due_before_it() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(1)));
    // A schedule of 10 s stopped by -d 2.
    let stages: Stages = "10s:100".parse().unwrap();
    let summary = run(plan, open(Schedule::ramping(100.0, stages), 1, 1, Some(2))).await;
    let a = arrivals(&summary);
    assert_eq!((a.scheduled, a.started, a.dropped), (200, 200, 0));
}

#[tokio::test(start_paused = true)]
async fn closed_stages_move_the_worker_count() {
    let origin = Instant::now();
    let starts = Starts::default();
    let plan = Plan::new().scenario(recorded(&starts, origin, |_| ms(10)));
    // From 1 worker up to 4 over 1 s, 4 for 1 s, down to 0 over 1 s.
    let config = RunConfig {
        workers: NonZeroUsize::MIN,
        load: Load::Closed(Some("1s:4,1s:4,1s:0".parse().unwrap())),
        ..RunConfig::default()
    };
    let summary = run(plan, config).await;

    assert_eq!(summary.max_workers, 4);
    assert!(
        summary.elapsed >= ms(2_990) && summary.elapsed < ms(3_100),
        "{:?}",
        summary.elapsed
    );
    // Workers that ran in each 250 ms window (a worker's runs are back to back, 10 ms each).
    let starts = starts.0.borrow();
    let busy = |from: u64, to: u64| {
        let window = ms(from)..ms(to);
        let ids: std::collections::BTreeSet<usize> = starts
            .iter()
            .filter(|s| window.contains(&s.0))
            .map(|s| s.1)
            .collect();
        ids.len()
    };
    // 1 + 3t workers, rounded: 1 until 1/6 s, 4 from 5/6 s, then down from 2 s.
    assert_eq!(busy(0, 150), 1);
    assert_eq!(busy(200, 300), 2);
    assert_eq!(busy(1_000, 1_200), 4);
    assert_eq!(busy(1_800, 2_000), 4);
    assert_eq!(busy(2_900, 3_000), 0, "none once the count rounds to 0");
    // A worker runs back to back: 25 runs in a window, so about 100 for 4 workers.
    let in_plateau = starts
        .iter()
        .filter(|s| (ms(1_000)..ms(2_000)).contains(&s.0))
        .count();
    assert!((395..=405).contains(&in_plateau), "{in_plateau}");
}
