//! The grace after a graceful stop (`--graceful-stop`): the scenarios in flight may finish
//! within it, and are cancelled when it is over, whatever asked for the stop; a grace too
//! long for the clock is no limit, not a panic.
//!
//! The scenarios only sleep, on tokio's clock, and the clock is paused: time jumps to the next
//! timer whenever the run waits, so these runs of seconds take no time and end at exact
//! instants.

use std::time::Duration;

use molotov_core::{Failure, Plan, RunConfig, Runner, Scenario, Session, Shutdown, StopCause};
use tokio::time::Instant;

use crate::support::{Log, config, run};

/// A scenario that sleeps `d`, then succeeds.
fn sleeping(d: Duration) -> Scenario {
    Scenario::new("sleeps", move |_: Session| async move {
        tokio::time::sleep(d).await;
        Ok(())
    })
}

/// `plan` with its teardowns recorded in `log`.
fn torn_down(plan: Plan, log: &Log) -> Plan {
    let (l1, l2) = (log.clone(), log.clone());
    plan.teardown_session(move |w, _| {
        l1.push(format!("teardown_session {w}"));
        async { Ok(()) }
    })
    .teardown(move |w| {
        l2.push(format!("teardown {w}"));
        Ok(())
    })
}

/// Two workers whose runs take 20 s, a deadline of 1 s and a grace of `grace`.
fn slow_with_deadline(grace: Duration) -> RunConfig {
    RunConfig {
        duration: Some(Duration::from_secs(1)),
        graceful_stop: grace,
        ..config(2, 0)
    }
}

/// Fails unless `elapsed` is `at`, give or take the clock's millisecond.
#[track_caller]
fn ended_at(elapsed: Duration, at: Duration) {
    assert!(
        elapsed >= at && elapsed < at + Duration::from_millis(50),
        "ended after {elapsed:?}, not {at:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn after_the_deadline_the_runs_in_flight_get_their_grace_then_are_cancelled() {
    let log = Log::default();
    let plan = torn_down(
        Plan::new().scenario(sleeping(Duration::from_secs(20))),
        &log,
    );
    let summary = run(plan, slow_with_deadline(Duration::from_secs(1))).await;

    ended_at(summary.elapsed, Duration::from_secs(2));
    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!(summary.cancelled, 2);
    assert_eq!((summary.successes(), summary.failures()), (0, 0));
    for w in 0..2 {
        assert_eq!(log.count(&format!("teardown_session {w}")), 1);
        assert_eq!(log.count(&format!("teardown {w}")), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn runs_that_end_within_the_grace_count_as_they_ended() {
    let plan = Plan::new().scenario(sleeping(Duration::from_millis(1500)));
    let summary = run(plan, slow_with_deadline(Duration::from_secs(5))).await;

    ended_at(summary.elapsed, Duration::from_millis(1500));
    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!((summary.successes(), summary.cancelled), (2, 0));
}

#[tokio::test(start_paused = true)]
async fn a_grace_of_zero_cancels_at_the_deadline() {
    let plan = Plan::new().scenario(sleeping(Duration::from_secs(20)));
    let summary = run(plan, slow_with_deadline(Duration::ZERO)).await;

    ended_at(summary.elapsed, Duration::from_secs(1));
    assert_eq!(summary.cancelled, 2);
}

#[tokio::test(start_paused = true)]
async fn the_default_grace_is_30_seconds() {
    let plan = Plan::new().scenario(sleeping(Duration::from_secs(100)));
    let config = RunConfig {
        duration: Some(Duration::from_secs(1)),
        ..config(1, 0)
    };
    let summary = run(plan, config).await;

    ended_at(summary.elapsed, Duration::from_secs(31));
    assert_eq!(summary.cancelled, 1);
}

#[tokio::test(start_paused = true)]
async fn a_stop_from_outside_gets_the_grace_too() {
    let plan = Plan::new().scenario(sleeping(Duration::from_secs(20)));
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    let started = Instant::now();
    let stopping = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stopper.stop(StopCause::Interrupted);
    });
    let config = RunConfig {
        graceful_stop: Duration::from_secs(1),
        ..config(2, 0)
    };
    let summary = Runner::new(plan, config)
        .unwrap()
        .run(shutdown)
        .await
        .unwrap();
    stopping.await.unwrap();

    ended_at(started.elapsed(), Duration::from_millis(1500));
    assert_eq!(summary.stop, Some(StopCause::Interrupted));
    assert_eq!(summary.cancelled, 2);
}

#[tokio::test(start_paused = true)]
async fn fail_fast_gives_the_other_runs_in_flight_the_grace() {
    // Worker 0 fails after 100 ms; worker 1 is in a run of 20 s by then.
    let scenario = Scenario::new("fails", |session: Session| async move {
        if session.worker_id() == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(Failure::new("on-purpose", "worker 0 fails").into());
        }
        tokio::time::sleep(Duration::from_secs(20)).await;
        Ok(())
    });
    let config = RunConfig {
        fail_fast: true,
        graceful_stop: Duration::from_secs(1),
        ..config(2, 0)
    };
    let summary = run(Plan::new().scenario(scenario), config).await;

    ended_at(summary.elapsed, Duration::from_millis(1100));
    assert_eq!(summary.stop, Some(StopCause::FailFast));
    assert_eq!((summary.failures(), summary.cancelled), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_failed_fixture_gives_the_runs_in_flight_the_grace() {
    // Worker 1 starts 1 s after worker 0 (ramp-up), and its setup fails.
    let plan = Plan::new()
        .scenario(sleeping(Duration::from_secs(20)))
        .setup(|w, _| async move {
            if w == 1 {
                return Err("setup fails on purpose".into());
            }
            Ok(None)
        });
    let config = RunConfig {
        ramp_up: Duration::from_secs(2),
        graceful_stop: Duration::from_secs(1),
        ..config(2, 0)
    };
    let summary = run(plan, config).await;

    ended_at(summary.elapsed, Duration::from_secs(2));
    assert_eq!(summary.stop, Some(StopCause::FixtureFailed));
    assert_eq!(summary.cancelled, 1);
}

#[tokio::test(start_paused = true)]
async fn a_grace_too_long_for_the_clock_lets_the_runs_finish() {
    let plan = Plan::new().scenario(sleeping(Duration::from_secs(3600)));
    let summary = run(plan, slow_with_deadline(Duration::MAX)).await;

    ended_at(summary.elapsed, Duration::from_secs(3600));
    assert_eq!(summary.stop, Some(StopCause::Deadline));
    assert_eq!((summary.successes(), summary.cancelled), (2, 0));
}
