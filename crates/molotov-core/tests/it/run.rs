//! The run as a whole: worker ids, global fixtures in child processes, background tasks,
//! the notice channel's end, the summary.

use std::cell::Cell;
use std::rc::Rc;

use molotov_core::{Notice, Plan, RunConfig, Runner, Shutdown, StopCause};

use crate::support::{Log, config, drain, logged, run};

#[tokio::test]
async fn worker_ids_start_at_the_first_worker_id() {
    let log = Log::default();
    let l = log.clone();
    let plan = Plan::new().scenario(logged("s", &log)).setup(move |w, _| {
        l.push(format!("setup {w}"));
        async { Ok(None) }
    });
    let config = RunConfig {
        first_worker_id: 10,
        ..config(2, 1)
    };
    run(plan, config).await;

    let mut entries = log.entries();
    entries.sort();
    assert_eq!(entries, ["s 10", "s 11", "setup 10", "setup 11"]);
}

#[tokio::test]
async fn without_global_fixtures_only_the_workers_fixtures_run() {
    let log = Log::default();
    let (l1, l2) = (log.clone(), log.clone());
    let plan = Plan::new()
        .scenario(logged("s", &log))
        .global_setup(move |_| {
            l1.push("global_setup");
            Ok(())
        })
        .global_teardown(move |_| {
            l2.push("global_teardown");
            Ok(())
        });
    let config = RunConfig {
        global_fixtures: false,
        ..config(1, 2)
    };
    let summary = run(plan, config).await;

    assert_eq!(summary.successes(), 2);
    assert_eq!(log.entries(), ["s 0", "s 0"]);
}

#[tokio::test]
async fn a_background_task_runs_beside_the_workers_and_ends_with_them() {
    /// Records its drop: the task was ended, not leaked.
    struct Ended(Rc<Cell<bool>>);
    impl Drop for Ended {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let (started, ended) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let (s, e) = (started.clone(), ended.clone());
    let plan = Plan::new()
        .scenario(logged("s", &Log::default()))
        .background(move |shutdown: Shutdown| {
            Box::pin(async move {
                let _guard = Ended(e);
                s.set(true);
                // A background task may stop the run, like an adapter's signal handling.
                shutdown.stop(StopCause::Interrupted);
                std::future::pending::<()>().await;
            })
        });
    let summary = run(plan, config(1, 1_000_000)).await;

    assert!(started.get());
    assert!(ended.get(), "the background task was ended with the run");
    assert_eq!(summary.stop, Some(StopCause::Interrupted));
    assert!(summary.successes() < 1_000_000);
}

#[tokio::test]
async fn the_notice_channel_ends_with_the_run() {
    let mut runner = Runner::new(
        Plan::new().scenario(logged("s", &Log::default())),
        config(3, 2),
    )
    .unwrap();
    let receiver = runner.take_notices().unwrap();
    let summary = runner.run(Shutdown::new()).await.unwrap();

    let notices = drain(&receiver);
    assert!(
        receiver.is_finished(),
        "every sender is gone once the run returned"
    );
    assert!(matches!(notices[0], Notice::Preparing { workers: 3 }));
    assert_eq!(summary.max_workers, 3);
    assert_eq!(summary.cancelled, 0);
    assert!(summary.fixture_failures.is_empty());
}
