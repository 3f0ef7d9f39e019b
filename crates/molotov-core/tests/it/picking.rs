//! Which scenario runs: weights, seeds, a custom picker, `-s` and `--single-run`.

use std::cell::RefCell;
use std::rc::Rc;

use molotov_core::{Mode, Plan, RunConfig};

use crate::support::{Log, config, get_ok, logged, noop, run, target};

#[tokio::test]
async fn weights_decide_how_often_each_scenario_runs() {
    let plan = Plan::new()
        .scenario(noop("often").weight(3))
        .scenario(noop("rarely").weight(1));
    let summary = run(plan, config(2, 2000)).await;

    let often = summary.report.scenarios["often"].successes;
    let rarely = summary.report.scenarios["rarely"].successes;
    assert_eq!(often + rarely, 4000);
    let share = often as f64 / 4000.0;
    assert!(
        (share - 0.75).abs() < 0.03,
        "often ran {often} times of 4000"
    );
}

/// The scenario names worker 0 ran, in order, with `seed`.
async fn picks(seed: u64) -> (Vec<String>, u64) {
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("a", &log))
        .scenario(logged("b", &log))
        .scenario(logged("c", &log).weight(2));
    let config = RunConfig {
        seed: Some(seed),
        ..config(2, 100)
    };
    let summary = run(plan, config).await;
    (log.of_worker(0), summary.seed)
}

#[tokio::test]
async fn a_seed_repeats_the_same_picks() {
    let (first, seed) = picks(42).await;
    let (second, _) = picks(42).await;
    let (other, _) = picks(43).await;

    assert_eq!(seed, 42, "the summary reports the seed");
    assert_eq!(first.len(), 100);
    assert_eq!(first, second);
    assert_ne!(first, other, "another seed picks differently");
    for name in ["a 0", "b 0", "c 0"] {
        assert!(first.iter().any(|n| n == name), "{name} never picked");
    }
}

#[tokio::test]
async fn a_custom_picker_chooses_by_worker_and_step() {
    let calls: Rc<RefCell<Vec<(usize, u64)>>> = Rc::default();
    let recorded = calls.clone();
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("even", &log))
        .scenario(logged("odd", &log))
        .scenario_picker(move |worker, step| {
            recorded.borrow_mut().push((worker, step));
            match step {
                3 => "no such scenario".into(),
                s if s % 2 == 0 => "even".into(),
                _ => "odd".into(),
            }
        });
    let summary = run(plan, config(2, 4)).await;

    let mut calls = calls.borrow().clone();
    calls.sort_unstable();
    assert_eq!(
        calls,
        [
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 4),
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4)
        ]
    );
    for worker in 0..2 {
        assert_eq!(
            log.of_worker(worker),
            [
                format!("odd {worker}"),
                format!("even {worker}"),
                format!("even {worker}")
            ]
        );
    }
    let unknown = &summary.report.scenarios["(unknown scenario)"];
    assert_eq!((unknown.successes, unknown.failures), (0, 2));
    assert_eq!(unknown.errors.get("unknown-scenario"), Some(&2));
    assert_eq!(summary.successes(), 6);
    assert_eq!(summary.failures(), 2);
}

#[tokio::test]
async fn single_mode_runs_only_that_scenario() {
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("a", &log))
        .scenario(logged("b", &log).weight(100))
        .scenario(logged("c", &log));
    let config = RunConfig {
        mode: Mode::Single("a".into()),
        ..config(2, 10)
    };
    let summary = run(plan, config).await;

    assert_eq!(summary.report.scenarios["a"].successes, 20);
    assert_eq!(summary.successes(), 20);
    assert_eq!(log.count("a 0") + log.count("a 1"), 20);
}

#[tokio::test]
async fn single_run_runs_every_scenario_once_per_worker() {
    let target = target();
    let plan = Plan::new()
        .scenario(get_ok("root", &target.url("/")))
        .scenario(get_ok("echo", &target.url("/echo")))
        .scenario(get_ok("created", &target.url("/status/201")).weight(50));
    let config = RunConfig {
        mode: Mode::SingleRun,
        ..config(3, 0)
    };
    assert!(config.max_runs.is_none());
    let summary = run(plan, config).await;

    assert_eq!(target.requests_to("/"), 3);
    assert_eq!(target.requests_to("/echo"), 3);
    assert_eq!(target.requests_to("/status/201"), 3);
    assert_eq!(target.requests(), 9);
    for name in ["root", "echo"] {
        assert_eq!(summary.report.scenarios[name].successes, 3, "{name}");
    }
    // 201 is not 200: each of the three runs failed, and still counted once.
    assert_eq!(summary.report.scenarios["created"].failures, 3);
    assert_eq!(summary.stop, None);
}

#[tokio::test]
async fn single_run_goes_in_name_order() {
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("c", &log))
        .scenario(logged("a", &log))
        .scenario(logged("b", &log));
    let config = RunConfig {
        mode: Mode::SingleRun,
        ..RunConfig::default()
    };
    run(plan, config).await;
    assert_eq!(log.entries(), ["a 0", "b 0", "c 0"]);
}
