//! When a run stops: `max_runs`, the deadline, `-x`, a graceful stop and an abort from outside,
//! `--force-shutdown` (a grace of zero; the grace itself: `grace.rs`), and the pacing (ramp-up,
//! delays).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use molotov_core::{
    Event, Plan, RunConfig, Runner, Scenario, Session, Shutdown, StopCause, ensure,
};
use tokio::sync::mpsc;

use crate::support::{Log, config, get_ok, logged, run, target};

#[tokio::test]
async fn max_runs_is_exact_per_worker() {
    let target = target();
    let plan = Plan::new().scenario(get_ok("home", &target.url("/")));
    let summary = run(plan, config(3, 17)).await;

    assert_eq!(target.requests(), 3 * 17);
    assert_eq!(summary.successes(), 3 * 17);
    assert_eq!(summary.failures(), 0);
    assert_eq!(summary.report.requests["GET /"].statuses["200"], 3 * 17);
    assert_eq!(summary.stop, None);
    assert_eq!(summary.max_workers, 3);
}

#[tokio::test]
async fn duration_is_a_deadline_for_the_whole_run() {
    let target = target();
    let plan = Plan::new().scenario(get_ok("home", &target.url("/")));
    let config = RunConfig {
        duration: Some(Duration::from_millis(300)),
        ..config(2, 0)
    };
    let started = Instant::now();
    let summary = run(plan, config).await;
    let wall = started.elapsed();

    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert!(
        summary.elapsed >= Duration::from_millis(300),
        "{:?}",
        summary.elapsed
    );
    assert!(wall < Duration::from_secs(3), "{wall:?}");
    assert!(summary.successes() > 0);
    assert_eq!(summary.failures(), 0);
    assert_eq!(summary.successes(), target.requests());
}

#[tokio::test]
async fn fail_fast_stops_at_the_first_failure() {
    let target = target();
    let fail_at = 5;
    let (ok, bad) = (target.url("/"), target.url("/status/500"));
    let scenario = Scenario::new("flaky", move |session: Session| {
        let url = if session.worker_id() == 0 && session.context().step() == fail_at {
            bad.clone()
        } else {
            ok.clone()
        };
        async move {
            let response = session.get(&url).send().await?;
            ensure!(response.status() == 200);
            Ok(())
        }
    });
    let config = RunConfig {
        fail_fast: true,
        ..config(2, 1000)
    };
    let summary = run(Plan::new().scenario(scenario), config).await;

    assert_eq!(summary.stop, Some(StopCause::FailFast));
    assert_eq!(summary.failures(), 1);
    assert!(
        summary.successes() < 20,
        "{} runs after -x",
        summary.successes()
    );
    assert_eq!(target.requests_to("/status/500"), 1);
}

/// A plan whose one scenario tells `started` when it begins, then GETs `/delay/{ms}`, and whose
/// teardowns are recorded in `log`.
fn slow_plan(target_url: String, started: mpsc::UnboundedSender<()>, log: &Log) -> Plan {
    let (l1, l2) = (log.clone(), log.clone());
    Plan::new()
        .scenario(Scenario::new("slow", move |session: Session| {
            let (url, started) = (target_url.clone(), started.clone());
            async move {
                let _ = started.send(());
                session.get(&url).send().await?;
                Ok(())
            }
        }))
        .teardown_session(move |w, _| {
            l1.push(format!("teardown_session {w}"));
            async { Ok(()) }
        })
        .teardown(move |w| {
            l2.push(format!("teardown {w}"));
            Ok(())
        })
}

#[tokio::test]
async fn a_graceful_stop_lets_the_scenario_in_flight_finish() {
    let target = target();
    let log = Log::default();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let plan = slow_plan(target.url("/delay/300"), tx, &log);
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    let stopping = tokio::spawn(async move {
        rx.recv().await;
        stopper.stop(StopCause::Interrupted);
    });
    let runner = Runner::new(plan, config(1, 100)).unwrap();
    let started = Instant::now();
    let summary = runner.run(shutdown).await.unwrap();
    stopping.await.unwrap();

    assert_eq!(summary.stop, Some(StopCause::Interrupted));
    assert_eq!(summary.successes(), 1, "the run in flight finished");
    assert_eq!(summary.failures(), 0);
    assert_eq!(summary.cancelled, 0);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(target.requests_to("/delay/300"), 1);
    assert_eq!(log.entries(), ["teardown_session 0", "teardown 0"]);
}

#[tokio::test]
async fn an_abort_cancels_the_scenario_in_flight_and_teardowns_still_run() {
    let target = target();
    let log = Log::default();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let plan = slow_plan(target.url("/delay/5000"), tx, &log);
    let shutdown = Shutdown::new();
    let aborter = shutdown.clone();
    let aborting = tokio::spawn(async move {
        rx.recv().await;
        aborter.abort(StopCause::Interrupted);
    });
    let runner = Runner::new(plan, config(1, 100)).unwrap();
    let started = Instant::now();
    let summary = runner.run(shutdown).await.unwrap();
    aborting.await.unwrap();

    assert_eq!(summary.stop, Some(StopCause::Interrupted));
    assert_eq!(summary.cancelled, 1);
    assert_eq!(summary.successes(), 0);
    assert_eq!(summary.failures(), 0, "a cancelled run is not a failure");
    // Long before the request would have ended by itself.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(log.entries(), ["teardown_session 0", "teardown 0"]);
}

#[tokio::test]
async fn at_the_deadline_force_shutdown_a_zero_grace_cancels_the_scenarios_in_flight() {
    let target = target();
    let log = Log::default();
    let (tx, _rx) = mpsc::unbounded_channel();
    let plan = slow_plan(target.url("/delay/5000"), tx, &log);
    let config = RunConfig {
        duration: Some(Duration::from_millis(200)),
        graceful_stop: Duration::ZERO,
        ..config(2, 0)
    };
    let started = Instant::now();
    let summary = run(plan, config).await;

    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!(summary.cancelled, 2);
    assert_eq!((summary.successes(), summary.failures()), (0, 0));
    assert_eq!(log.count("teardown 0") + log.count("teardown 1"), 2);
}

#[tokio::test]
async fn without_force_shutdown_the_deadline_lets_scenarios_finish() {
    let target = target();
    let log = Log::default();
    let (tx, _rx) = mpsc::unbounded_channel();
    let plan = slow_plan(target.url("/delay/400"), tx, &log);
    let config = RunConfig {
        duration: Some(Duration::from_millis(100)),
        ..config(2, 0)
    };
    let summary = run(plan, config).await;

    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!(summary.successes(), 2);
    assert_eq!(summary.cancelled, 0);
    assert!(
        summary.elapsed >= Duration::from_millis(400),
        "{:?}",
        summary.elapsed
    );
}

#[tokio::test]
async fn ramp_up_spreads_the_workers_starts() {
    let starts: Rc<RefCell<Vec<(usize, Instant)>>> = Rc::default();
    let recorded = starts.clone();
    let plan =
        Plan::new()
            .scenario(logged("s", &Log::default()))
            .listener(move |event: &Event<'_>| {
                if let Event::ScenarioStart { worker, .. } = event {
                    recorded.borrow_mut().push((*worker, Instant::now()));
                }
                Ok(())
            });
    let config = RunConfig {
        ramp_up: Duration::from_millis(400),
        ..config(4, 1)
    };
    let begin = Instant::now();
    let summary = run(plan, config).await;

    assert_eq!(summary.successes(), 4);
    let mut starts = starts.borrow().clone();
    starts.sort_by_key(|(w, _)| *w);
    assert_eq!(starts.len(), 4);
    let offsets: Vec<Duration> = starts.iter().map(|(_, at)| *at - begin).collect();
    for (worker, offset) in offsets.iter().enumerate() {
        let due = Duration::from_millis(100) * u32::try_from(worker).unwrap();
        assert!(
            *offset >= due,
            "worker {worker} started too early: {offsets:?}"
        );
        // Late only by what a loaded machine may add.
        assert!(
            *offset < due + Duration::from_secs(1),
            "worker {worker} started too late: {offsets:?}"
        );
    }
}

/// When each run of worker 0 started.
async fn run_starts(plan_delay: Duration, run_delay: Duration, fail: bool) -> Vec<Instant> {
    let starts: Rc<RefCell<Vec<Instant>>> = Rc::default();
    let recorded = starts.clone();
    let scenario = Scenario::new("paced", move |_: Session| {
        recorded.borrow_mut().push(Instant::now());
        async move {
            ensure!(!fail, "failing on purpose");
            Ok(())
        }
    })
    .delay(plan_delay);
    let config = RunConfig {
        delay: run_delay,
        ..config(1, 4)
    };
    run(Plan::new().scenario(scenario), config).await;
    let starts = starts.borrow().clone();
    assert_eq!(starts.len(), 4);
    starts
}

fn gaps(starts: &[Instant]) -> Vec<Duration> {
    starts.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn the_run_delay_and_the_scenario_delay_pace_each_worker() {
    let both = run_starts(Duration::from_millis(30), Duration::from_millis(20), false).await;
    for gap in gaps(&both) {
        assert!(gap >= Duration::from_millis(50), "{gap:?}");
    }
    let run_only = run_starts(Duration::ZERO, Duration::from_millis(40), false).await;
    for gap in gaps(&run_only) {
        assert!(gap >= Duration::from_millis(40), "{gap:?}");
    }
    // The scenario's delay follows a success only; the run's delay follows every run.
    let failing = run_starts(Duration::from_millis(500), Duration::from_millis(30), true).await;
    for gap in gaps(&failing) {
        assert!(gap >= Duration::from_millis(30), "{gap:?}");
        assert!(gap < Duration::from_millis(400), "{gap:?}");
    }
}

#[tokio::test]
async fn an_abort_cancels_every_worker_in_flight() {
    let target = target();
    let log = Log::default();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let plan = slow_plan(target.url("/delay/2000"), tx, &log);
    let shutdown = Shutdown::new();
    let aborter = shutdown.clone();
    let aborting = tokio::spawn(async move {
        // Both workers are in flight once both said so.
        rx.recv().await;
        rx.recv().await;
        aborter.abort(StopCause::Interrupted);
    });
    let runner = Runner::new(plan, config(2, 0)).unwrap();
    let summary = runner.run(shutdown).await.unwrap();
    aborting.await.unwrap();

    assert_eq!(summary.cancelled, 2);
    assert_eq!((summary.successes(), summary.failures()), (0, 0));
    assert!(
        summary.elapsed < Duration::from_millis(1500),
        "{:?}",
        summary.elapsed
    );
    for w in 0..2 {
        assert_eq!(log.count(&format!("teardown_session {w}")), 1);
        assert_eq!(log.count(&format!("teardown {w}")), 1);
    }
}

#[tokio::test]
async fn a_run_stopped_before_it_starts_runs_only_the_global_fixtures() {
    let log = Log::default();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let plan = Plan::new()
        .scenario(logged("s", &log))
        .global_setup(move |_| {
            l1.push("global_setup");
            Ok(())
        })
        .setup(move |w, _| {
            l2.push(format!("setup {w}"));
            async { Ok(None) }
        })
        .global_teardown(move |_| {
            l3.push("global_teardown");
            Ok(())
        });
    let shutdown = Shutdown::new();
    shutdown.stop(StopCause::Interrupted);
    let summary = Runner::new(plan, config(2, 10))
        .unwrap()
        .run(shutdown)
        .await
        .unwrap();

    assert_eq!(summary.stop, Some(StopCause::Interrupted));
    assert_eq!(summary.successes(), 0);
    assert_eq!(log.entries(), ["global_setup", "global_teardown"]);
}

#[tokio::test]
async fn a_stop_cuts_the_ramp_up_short() {
    let log = Log::default();
    let l = log.clone();
    let plan = Plan::new()
        .scenario(Scenario::new("s", |_: Session| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(())
        }))
        .setup(move |w, _| {
            l.push(format!("setup {w}"));
            async { Ok(None) }
        });
    let config = RunConfig {
        ramp_up: Duration::from_secs(20),
        duration: Some(Duration::from_millis(200)),
        ..config(2, 0)
    };
    let started = Instant::now();
    let summary = run(plan, config).await;

    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!(summary.max_workers, 1, "the second worker never started");
    assert_eq!(log.entries(), ["setup 0"]);
    assert!(summary.successes() > 0);
}

#[tokio::test(start_paused = true)]
async fn durations_too_long_for_the_clock_are_no_limit() {
    // A deadline, ramp-up and delays of the largest duration: nothing overflows, and the run
    // ends when it runs out of work (the paused clock skips the pauses, capped by tokio).
    let scenario = Scenario::new("s", |_: Session| async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(())
    })
    .delay(Duration::MAX);
    let config = RunConfig {
        duration: Some(Duration::MAX),
        ramp_up: Duration::MAX,
        delay: Duration::MAX,
        // Its once-a-second ticker would have the paused clock step through the years.
        timeline: false,
        ..config(3, 2)
    };
    let summary = run(Plan::new().scenario(scenario), config).await;

    assert_eq!(summary.stop, None);
    assert_eq!((summary.successes(), summary.cancelled), (6, 0));
}
