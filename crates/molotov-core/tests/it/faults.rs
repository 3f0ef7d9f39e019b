//! Faults of the scenario code and of the server: panics, broken connections, a server that
//! closes its connections, and a listener that panics.

use molotov_core::{Event, Notice, Plan, Scenario, Session, ensure};

use crate::support::{Log, config, get_ok, get_ok_fresh, logged, run, run_noticed, target};

#[tokio::test]
async fn a_panicking_scenario_is_a_failure_and_the_worker_goes_on() {
    let log = Log::default();
    let recorded = log.clone();
    let scenario = Scenario::new("fragile", move |s: Session| {
        let step = s.context().step();
        recorded.push(format!("step{step} {}", s.worker_id()));
        async move {
            assert!(step != 2, "boom at step {step}");
            Ok(())
        }
    });
    let (summary, notices) = run_noticed(Plan::new().scenario(scenario), config(2, 4)).await;

    let fragile = &summary.report.scenarios["fragile"];
    assert_eq!((fragile.successes, fragile.failures), (6, 2));
    assert_eq!(fragile.errors["panic"], 2);
    assert_eq!(fragile.latency.count(), 6, "successes are timed apart");
    assert_eq!(
        fragile
            .failed_latency
            .as_ref()
            .map(molotov_core::stats::Latency::count),
        Some(2)
    );
    assert!(fragile.error_samples["panic"].contains("boom at step 2"));
    for w in 0..2 {
        assert_eq!(
            log.of_worker(w).len(),
            4,
            "worker {w} went on after the panic"
        );
    }
    let messages: Vec<String> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Failure { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(messages, ["boom at step 2", "boom at step 2"]);
}

#[tokio::test]
async fn a_panic_outside_the_async_part_is_caught_too() {
    let scenario = Scenario::new("eager", |s: Session| {
        assert!(
            s.context().step() != 1,
            "panicked before returning a future"
        );
        async { Ok(()) }
    });
    let summary = run(Plan::new().scenario(scenario), config(1, 3)).await;

    let eager = &summary.report.scenarios["eager"];
    assert_eq!((eager.successes, eager.failures), (2, 1));
    assert_eq!(eager.errors["panic"], 1);
}

#[tokio::test]
async fn dropped_and_garbled_answers_are_failures_and_the_run_goes_on() {
    let target = target();
    let plan = Plan::new()
        .scenario(get_ok_fresh("drop", &target.url("/drop")))
        .scenario(get_ok_fresh("garbage", &target.url("/garbage")))
        .scenario(get_ok("fine", &target.url("/")));
    let summary = run(plan, config(2, 30)).await;

    let report = &summary.report;
    let drop = &report.scenarios["drop"];
    let garbage = &report.scenarios["garbage"];
    let fine = &report.scenarios["fine"];
    assert_eq!(drop.successes + garbage.successes, 0);
    assert_eq!(
        drop.errors.get("closed"),
        Some(&drop.failures),
        "{:?}",
        drop.errors
    );
    assert_eq!(
        garbage.errors.get("protocol"),
        Some(&garbage.failures),
        "{:?}",
        garbage.errors
    );
    assert_eq!(fine.failures, 0);
    assert_eq!(summary.successes() + summary.failures(), 60);
    assert_eq!(target.requests(), 60);
}

#[tokio::test]
async fn a_server_closing_each_connection_costs_a_new_connection_not_a_failure() {
    let target = target();
    let base = target.url("");
    let scenario = Scenario::new("close", move |s: Session| {
        let base = base.clone();
        async move {
            let closed = s.get(&format!("{base}/close")).send().await?;
            ensure!(closed.status() == 200);
            let after = s.get(&format!("{base}/")).send().await?;
            ensure!(after.status() == 200);
            Ok(())
        }
    });
    let summary = run(Plan::new().scenario(scenario), config(1, 10)).await;

    assert_eq!((summary.successes(), summary.failures()), (10, 0));
    assert_eq!(target.requests(), 20);
    // `/close` ends each connection: every `/` after it needs a new one, which the next
    // run's `/close` reuses.
    assert_eq!(target.connections(), 11);
}

#[tokio::test]
async fn a_panicking_listener_does_not_stop_the_run() {
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("s", &log))
        .listener(|event: &Event<'_>| {
            if let Event::ScenarioSuccess { .. } = event {
                panic!("listener bug");
            }
            Ok(())
        });
    let (summary, notices) = run_noticed(plan, config(1, 3)).await;

    assert_eq!(log.count("s 0"), 3, "every run ran");
    assert_eq!(summary.successes(), 3);
    assert!(
        notices.iter().any(|n| matches!(
            n,
            Notice::ListenerFailed { event: "scenario_success", error } if error.to_string() == "listener bug"
        )),
        "{notices:?}"
    );
}
