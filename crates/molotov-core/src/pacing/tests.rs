//! `Timetable::claim` on tokio's paused clock, moved by exact microseconds (`advance`), with no
//! dispatcher: what a worker does by itself when it finishes a run.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio::time::advance;

use super::{Next, Timetable, early_window};
use crate::config::Partition;
use crate::progress::Progress;
use crate::schedule::Schedule;
use crate::shutdown::Shutdown;

fn timetable(rate: f64, drop_late: bool) -> Timetable {
    shared_timetable(Schedule::constant(rate), Partition::default(), drop_late)
}

/// Process `partition` of a run on `schedule`, started now (its one first worker set up).
fn shared_timetable(schedule: Schedule, partition: Partition, drop_late: bool) -> Timetable {
    let progress = Arc::new(Progress::default());
    let t = Timetable::new(schedule, partition, drop_late, 1, None, progress);
    t.set_up();
    t
}

/// Process `index` of `count`.
fn process(index: usize, count: usize) -> Partition {
    Partition {
        index,
        count: std::num::NonZeroUsize::new(count).expect("a count above 0"),
    }
}

/// The lag of the run `claim` starts at once; `None` if it would wait.
fn claim_now(t: &Timetable, shutdown: &Shutdown) -> Option<Duration> {
    match t.claim(shutdown).now_or_never()? {
        Next::Run(late) => Some(late.expect("an open-model run has its lag").lag),
        Next::Stop => panic!("the schedule goes on"),
    }
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

#[tokio::test(start_paused = true)]
async fn a_worker_takes_the_next_run_itself_up_to_125_us_before_it_is_due_and_waits_otherwise() {
    let t = timetable(1000.0, false);
    let shutdown = Shutdown::new();
    // Run 0 is due at the start.
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    // 50 us before run 1 is due: taken at once, on time (no lag), released by the worker.
    advance(us(950)).await;
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    assert_eq!(t.released(), 2);
    // 150 us before run 2: more than 125 us early, so the worker waits for it.
    advance(us(900)).await;
    assert_eq!(claim_now(&t, &shutdown), None);
    assert_eq!(t.released(), 2, "nothing released early");
    // 100 us before: taken.
    advance(us(50)).await;
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    // 3 ms after run 3 was due: taken late, with its lag.
    advance(us(4100)).await;
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::from_millis(3)));
    // Runs 4 and 5 are due too, and not started: waiting while the run lasts, dropped at the
    // end.
    let so_far = t.so_far();
    assert_eq!(
        so_far.scheduled, 5,
        "run 4 is behind, run 5 (due 1 ms ago) not yet"
    );
    assert_eq!((so_far.started, so_far.late, so_far.dropped), (4, 1, 0));
    let summary = t.summary();
    assert_eq!(summary.scheduled, 6);
    assert_eq!((summary.started, summary.late, summary.dropped), (4, 1, 2));
}

#[test]
fn the_early_window_grows_with_the_rate_from_125_us_to_1_ms() {
    for (rate, window) in [
        (0.5, 125),
        (1000.0, 125),
        (12_500.0, 125),
        (50_000.0, 500),
        (100_000.0, 1000),
        (2_000_000.0, 1000),
        (f64::INFINITY, 1000),
        (f64::NAN, 125),
    ] {
        assert_eq!(early_window(rate), us(window), "at {rate} runs/s");
    }
}

#[tokio::test(start_paused = true)]
async fn at_a_high_rate_a_worker_takes_runs_up_to_1_ms_early() {
    // 200,000 runs/s: one every 5 us; the window is 1 ms (200 runs).
    let t = timetable(200_000.0, false);
    let shutdown = Shutdown::new();
    for k in 0..=200 {
        assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO), "run {k}");
    }
    // Run 201 is due 1005 us from the start: 5 us more than the window ahead.
    assert_eq!(claim_now(&t, &shutdown), None);
    assert_eq!(t.released(), 201, "nothing released beyond the window");
    advance(us(5)).await;
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn with_processes_the_window_follows_each_ones_share_of_the_rate() {
    // 200,000 runs/s over 8 processes: 25,000 each, a window of 250 us (10 of its runs).
    let t = shared_timetable(Schedule::constant(200_000.0), process(3, 8), false);
    assert_eq!(t.early(), us(250));
    let shutdown = Shutdown::new();
    // Its runs are due at 15 us, then every 40 us: runs 0 to 5 (up to 215 us) at once.
    for k in 0..=5 {
        assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO), "run {k}");
    }
    assert_eq!(claim_now(&t, &shutdown), None, "run 6, due at 255 us");
    advance(us(5)).await;
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn the_dispatcher_adds_workers_only_for_due_runs_not_for_the_window_ahead() {
    // 100,000 runs/s: one every 10 us, a window of 1 ms. No worker waits: the six runs due
    // by 50 us each found every worker busy; those due later are not released.
    let t = timetable(100_000.0, false);
    advance(us(50)).await;
    let now = tokio::time::Instant::now();
    assert_eq!(t.release_due(now, now + us(1000)), 6);
    assert_eq!(
        t.released(),
        6,
        "none released ahead with no worker waiting"
    );
    // With the runtime timer, which wakes 500 us early, the runs due within that lead count
    // as due.
    assert_eq!(t.release_due(now + us(500), now + us(1000)), 50);
    assert_eq!(t.released(), 56);
}

#[tokio::test(start_paused = true)]
async fn the_runs_waiting_for_a_worker_are_the_released_ones_due_that_none_took() {
    let t = timetable(100_000.0, false);
    let shutdown = Shutdown::new();
    advance(us(50)).await;
    let now = tokio::time::Instant::now();
    // Six runs due with every worker busy: six wait, until workers take them.
    assert_eq!(t.release_due(now, now), 6);
    assert_eq!(t.waiting(now), 6);
    assert!(claim_now(&t, &shutdown).is_some());
    assert!(claim_now(&t, &shutdown).is_some());
    assert_eq!(t.waiting(now), 4);
    // Counted at a time: those due by then.
    assert_eq!(
        t.waiting(now - us(20)),
        2,
        "runs 2 and 3, due at 20 and 30 us"
    );
    assert_eq!(t.waiting(now + us(1000)), 4, "only the released ones");
    // A worker added for them: one is its own until it is set up.
    t.adding_worker();
    assert_eq!(t.waiting(now), 3);
    t.added_set_up();
    assert_eq!(t.waiting(now), 4);
}

#[tokio::test(start_paused = true)]
async fn a_run_a_waiting_worker_was_woken_for_is_not_waiting() {
    let t = timetable(100_000.0, false);
    let shutdown = Shutdown::new();
    // The worker takes runs 0 to 100 (1 ms ahead), then waits.
    while claim_now(&t, &shutdown).is_some() {}
    advance(us(1050)).await;
    let now = tokio::time::Instant::now();
    // Runs 101 to 105 are due: the worker is woken for the first, four found none.
    assert_eq!(t.release_due(now, now), 4);
    assert_eq!(t.waiting(now), 4);
}

#[tokio::test(start_paused = true)]
async fn a_waiting_worker_is_woken_for_a_due_run_and_no_worker_is_added_for_the_next() {
    let t = timetable(100_000.0, false);
    let shutdown = Shutdown::new();
    // The worker takes runs 0 to 100 (the window: 1 ms), then waits for run 101. (Its claim
    // is dropped while it waits: the timetable still counts one worker waiting.)
    for k in 0..=100 {
        assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO), "run {k}");
    }
    assert_eq!(claim_now(&t, &shutdown), None);
    assert_eq!(t.released(), 101);
    advance(us(1010)).await;
    let now = tokio::time::Instant::now();
    // Run 101 is due: the waiting worker is woken for it. Run 102, due in 10 us, is left to
    // that worker (every worker is busy now): nothing missed, no worker to add.
    assert_eq!(t.release_due(now, now + us(1000)), 0);
    assert_eq!(t.released(), 102);
    assert!(t.all_busy());
}

#[test]
fn the_window_follows_the_rate_now_not_the_busiest() {
    let stages: crate::schedule::Stages = "10s:400000,1m:100".parse().expect("stages");
    let t = shared_timetable(Schedule::ramping(0.0, stages), process(0, 2), false);
    assert_eq!(t.early(), us(125), "a ramp from 0 starts with the least");
    // 60,000 runs/s over two processes: 30,000 each.
    t.follow_rate(60_000.0);
    assert_eq!(t.early(), us(300));
    t.follow_rate(400_000.0);
    assert_eq!(t.early(), us(1000));
    t.follow_rate(100.0);
    assert_eq!(t.early(), us(125), "back to the least at the low stage");
}

#[tokio::test(start_paused = true)]
async fn after_a_stall_drop_late_drops_every_late_run_in_one_claim() {
    let t = timetable(100_000.0, true);
    let shutdown = Shutdown::new();
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    // A 10 s stall: runs 1 to 999,899 are more than 1 ms late (run 999,900 is due exactly
    // 1 ms ago, which is not late).
    advance(Duration::from_secs(10)).await;
    let lag = claim_now(&t, &shutdown).expect("a run on time");
    assert!(lag <= Duration::from_millis(1), "{lag:?}");
    assert_eq!(t.dropped.get(), 999_899, "every late run, dropped");
    assert_eq!(
        t.released(),
        999_901,
        "released in one step, and the run taken"
    );
    assert_eq!(
        t.so_far().dropped,
        999_899,
        "the dropped runs, not the waiting ones"
    );
    let summary = t.summary();
    assert_eq!((summary.started, summary.late), (2, 0));
    // Runs due before now: a million; those not started were dropped, or were still waiting.
    assert_eq!(summary.scheduled, 1_000_000);
    assert_eq!(summary.dropped, 999_998);
}

#[test]
fn the_first_failing_index_is_found_wherever_it_is() {
    use super::first_failing;
    for end in [1u64, 2, 3, 1000, 1 << 40, u64::MAX] {
        assert_eq!(first_failing(0, |k| k < end), end);
        assert_eq!(first_failing(1, |k| k < end), end.max(1));
    }
    assert_eq!(first_failing(7, |k| k < 7), 7, "false at the start");
    assert_eq!(first_failing(0, |_| true), u64::MAX, "true everywhere");
}

#[tokio::test(start_paused = true)]
async fn a_run_a_worker_serves_itself_starts_at_the_one_reading_of_the_clock() {
    let t = timetable(1000.0, false);
    let shutdown = Shutdown::new();
    let start = tokio::time::Instant::now();
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    // 40 us before run 1 is due: the worker releases it itself, on time, and its start is now.
    advance(us(960)).await;
    let Some(Next::Run(Some(late))) = t.claim(&shutdown).now_or_never() else {
        panic!("run 1, at once")
    };
    assert_eq!(late.lag, Duration::ZERO, "early, never late");
    assert_eq!(late.now, start + us(960));
    // 200 us after run 2 was due (released by nobody yet): taken, 200 us late, not "late".
    advance(us(1240)).await;
    let Some(Next::Run(Some(late))) = t.claim(&shutdown).now_or_never() else {
        panic!("run 2, at once")
    };
    assert_eq!(late.lag, us(200));
    assert_eq!(late.now, start + us(2200));
    assert_eq!((t.released(), t.late.get()), (3, 0));
}

#[tokio::test(start_paused = true)]
async fn so_far_a_run_is_behind_only_once_it_is_late() {
    let t = timetable(1000.0, false);
    let shutdown = Shutdown::new();
    assert_eq!(claim_now(&t, &shutdown), Some(Duration::ZERO));
    let so_far = |t: &Timetable| (t.so_far().scheduled, t.so_far().started);
    assert_eq!(so_far(&t), (1, 1));
    // Run 1 is due at 1 ms and not taken yet: at 1.5 ms it is not behind, at 2.1 ms it is.
    advance(us(1500)).await;
    assert_eq!(
        so_far(&t),
        (1, 1),
        "a run due 0.5 ms ago is not missing yet"
    );
    advance(us(600)).await;
    assert_eq!(so_far(&t), (2, 1), "a run due 1.1 ms ago is");
    assert_eq!(t.so_far().dropped, 0, "waiting, not dropped");
    // Taken (late): every run due is started again.
    assert!(claim_now(&t, &shutdown).is_some());
    assert_eq!(so_far(&t), (2, 2));
    assert_eq!(
        t.summary().scheduled,
        3,
        "at the end, run 2 (due at 2 ms) is scheduled too"
    );
}

/// 10 runs a second for `stages`, with a deadline `deadline_ms` after the schedule starts.
fn staged(stages: &str, deadline_ms: u64) -> Timetable {
    let t = Timetable::new(
        Schedule::ramping(10.0, stages.parse().unwrap()),
        Partition::default(),
        false,
        1,
        Some(tokio::time::Instant::now() + Duration::from_millis(deadline_ms)),
        Arc::new(Progress::default()),
    );
    t.set_up();
    t
}

#[tokio::test(start_paused = true)]
async fn the_deadline_or_the_last_stage_ends_the_schedule_whichever_comes_first() {
    // Stages of 1 s at 10/s: runs due at 0, 0.1 ... 0.9 s; none after.
    let t = staged("1s:10", 2000);
    assert!(!t.ends_at_deadline(10), "the stages end first");
    let end = t.schedule_end().unwrap();
    assert_eq!(end - tokio::time::Instant::now(), Duration::from_secs(1));
    // The same stages with the deadline at their end, or before: the deadline ends it.
    assert!(staged("1s:10", 1000).ends_at_deadline(10));
    let t = staged("1s:10", 500);
    assert!(t.ends_at_deadline(5), "run 5 is due at the deadline");
    assert!(!t.ends_at_deadline(4));
    // Counted up to the deadline, even after it.
    advance(Duration::from_secs(3)).await;
    assert_eq!(t.summary().scheduled, 5);
    assert_eq!(t.counts_so_far().scheduled, 5);
    let staged_end = staged("1s:10", 5000);
    advance(Duration::from_secs(3)).await;
    assert_eq!(staged_end.summary().scheduled, 10, "up to the stages' end");
    assert!((staged_end.summary().target_rate - 10.0).abs() < 1e-9);
}
