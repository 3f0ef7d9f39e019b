//! Fixtures: their order and arguments, what `setup` configures, `RunInfo`, and what happens
//! when one fails.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use molotov_core::{
    BoxError, Error, Fixture, FixtureFailure, Notice, Plan, Runner, Scenario, Session,
    SessionOptions, Shutdown, StopCause, ensure,
};
use serde_json::Value;

use crate::support::{Log, config, get_ok, logged, run, run_noticed, target};

/// A plan whose every fixture records `"{fixture} {worker}"` (global ones `"{fixture}"`) into
/// `log`, and where `fail` (the fixture, and the worker for a per-worker one) returns an error
/// `"{fixture} broke"`.
fn fixture_plan(log: &Log, fail: Option<(Fixture, Option<usize>)>) -> Plan {
    let fails = move |fixture: Fixture, worker: Option<usize>| fail == Some((fixture, worker));
    let broke = |fixture: Fixture| -> BoxError { format!("{fixture} broke").into() };
    let (l1, l2, l3, l4, l5, l6) = (
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
    );
    Plan::new()
        .scenario(logged("scenario", log))
        .global_setup(move |info| {
            l1.push("global_setup");
            assert_eq!(
                info.config.workers.get(),
                2,
                "global_setup gets the run's config"
            );
            if fails(Fixture::GlobalSetup, None) {
                return Err(broke(Fixture::GlobalSetup));
            }
            Ok(())
        })
        .setup(move |worker, info| {
            l2.push(format!("setup {worker}"));
            assert_eq!(info.config.workers.get(), 2, "setup gets the run's config");
            let result = if fails(Fixture::Setup, Some(worker)) {
                Err(broke(Fixture::Setup))
            } else {
                Ok(None)
            };
            async { result }
        })
        .setup_session(move |worker, session: Session| {
            assert_eq!(session.worker_id(), worker);
            l3.push(format!("setup_session {worker}"));
            let result = if fails(Fixture::SetupSession, Some(worker)) {
                Err(broke(Fixture::SetupSession))
            } else {
                Ok(())
            };
            async { result }
        })
        .teardown_session(move |worker, session: Session| {
            assert_eq!(session.worker_id(), worker);
            l4.push(format!("teardown_session {worker}"));
            let result = if fails(Fixture::TeardownSession, Some(worker)) {
                Err(broke(Fixture::TeardownSession))
            } else {
                Ok(())
            };
            async { result }
        })
        .teardown(move |worker| {
            l5.push(format!("teardown {worker}"));
            if fails(Fixture::Teardown, Some(worker)) {
                return Err(broke(Fixture::Teardown));
            }
            Ok(())
        })
        .global_teardown(move |info| {
            l6.push("global_teardown");
            assert_eq!(info.config.workers.get(), 2);
            if fails(Fixture::GlobalTeardown, None) {
                return Err(broke(Fixture::GlobalTeardown));
            }
            Ok(())
        })
}

#[tokio::test]
async fn fixtures_run_in_order_around_each_workers_scenarios() {
    let log = Log::default();
    let summary = run(fixture_plan(&log, None), config(2, 2)).await;

    assert_eq!(summary.successes(), 4);
    assert!(summary.fixture_failures.is_empty());
    let all = log.entries();
    assert_eq!(all.first().map(String::as_str), Some("global_setup"));
    assert_eq!(all.last().map(String::as_str), Some("global_teardown"));
    for worker in 0..2 {
        assert_eq!(
            log.of_worker(worker),
            [
                "setup",
                "setup_session",
                "scenario",
                "scenario",
                "teardown_session",
                "teardown"
            ]
            .map(|f| format!("{f} {worker}")),
            "worker {worker} in {all:?}"
        );
    }
    assert_eq!(all.len(), 2 + 2 * 6, "{all:?}");
}

#[tokio::test]
async fn setup_options_configure_the_workers_session() {
    let target = target();
    let seen = Log::default();
    let recorded = seen.clone();
    let base = url::Url::parse(&target.url("/")).unwrap();
    let plan = Plan::new()
        .setup(move |worker, _| {
            let base = base.clone();
            async move {
                let mut headers = HeaderMap::new();
                headers.insert("x-worker", HeaderValue::from(worker));
                Ok(Some(SessionOptions {
                    headers,
                    cookies: vec![("flavour".into(), format!("w{worker}"))],
                    auth: Some(("alice".into(), "secret".into())),
                    timeout: Some(Duration::from_millis(200)),
                    base_url: Some(base),
                    ..SessionOptions::default()
                }))
            }
        })
        .scenario(Scenario::new("s", move |session: Session| {
            let seen = recorded.clone();
            async move {
                // Relative URLs resolve against `base_url`.
                let echo: Value = session.get("echo").send().await?.json()?;
                let headers = &echo["headers"];
                seen.push(format!(
                    "x-worker={} cookie={} {}",
                    headers["x-worker"].as_str().unwrap_or("-"),
                    headers["cookie"].as_str().unwrap_or("-"),
                    session.worker_id()
                ));
                let auth = session.get("/basic-auth/alice/secret").send().await?;
                ensure!(auth.status() == 200, "basic auth: {}", auth.status());
                let cookies: Value = session.get("/cookies").send().await?.json()?;
                ensure!(cookies["flavour"] == format!("w{}", session.worker_id()));
                // The session's timeout applies.
                let slow = session.get("/delay/2000").send().await;
                let err = slow.expect_err("the session timeout cuts a 2 s answer");
                ensure!(err.is_timeout(), "expected a timeout, got {err}");
                Ok(())
            }
        }));
    let started = std::time::Instant::now();
    let (summary, notices) = run_noticed(plan, config(2, 1)).await;

    let failures: Vec<String> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Failure { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(summary.successes(), 2, "failures: {failures:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the timeout was not applied"
    );
    assert_eq!(seen.of_worker(0), ["x-worker=0 cookie=flavour=w0 0"]);
    assert_eq!(seen.of_worker(1), ["x-worker=1 cookie=flavour=w1 1"]);
    assert_eq!(target.requests_to("/basic-auth/alice/secret"), 2);
    let timeouts = &summary.report.requests["GET /delay/2000"];
    assert_eq!(timeouts.errors.get("timeout"), Some(&2));
}

#[tokio::test]
async fn vars_set_in_global_setup_are_seen_by_scenarios() {
    let seen = Log::default();
    let recorded = seen.clone();
    let plan = Plan::new()
        .global_setup(|info| {
            info.vars.set("token", String::from("abc"));
            Ok(())
        })
        .scenario(Scenario::new("s", move |session: Session| {
            let token = session.vars().get::<String>("token");
            let preset = session.vars().get::<u32>("preset");
            recorded.push(format!(
                "token={} preset={} {}",
                token.as_deref().map_or("-", String::as_str),
                preset.map_or(0, |p| *p),
                session.worker_id()
            ));
            async { Ok(()) }
        }));
    let runner = Runner::new(plan, config(2, 1)).unwrap();
    runner.vars().set("preset", 7u32);
    let summary = runner.run(Shutdown::new()).await.unwrap();

    assert_eq!(summary.successes(), 2);
    assert_eq!(seen.of_worker(0), ["token=abc preset=7 0"]);
    assert_eq!(seen.of_worker(1), ["token=abc preset=7 1"]);
}

#[tokio::test]
async fn a_failing_global_setup_stops_everything_before_it_starts() {
    let target = target();
    let log = Log::default();
    let plan = fixture_plan(&log, Some((Fixture::GlobalSetup, None)))
        .scenario(get_ok("home", &target.url("/")));
    let runner = Runner::new(plan, config(2, 5)).unwrap();
    let result = runner.run(Shutdown::new()).await;

    let Err(Error::FixtureFailed {
        fixture,
        worker,
        source,
    }) = result
    else {
        panic!("expected the global_setup failure, got {result:?}");
    };
    assert_eq!((fixture, worker), (Fixture::GlobalSetup, None));
    assert_eq!(source.to_string(), "global_setup broke");
    assert_eq!(
        log.entries(),
        ["global_setup"],
        "nothing after global_setup"
    );
    assert_eq!(target.requests(), 0);
}

#[tokio::test]
async fn a_failing_setup_stops_the_run_and_every_teardown_still_runs() {
    let target = target();
    let log = Log::default();
    let plan = fixture_plan(&log, Some((Fixture::Setup, Some(1))))
        .scenario(get_ok("home", &target.url("/")));
    let (summary, notices) = run_noticed(plan, config(2, 1000)).await;

    let entries = log.entries();
    assert_eq!(summary.stop, Some(StopCause::FixtureFailed));
    assert_eq!(
        summary.fixture_failures,
        [FixtureFailure {
            fixture: Fixture::Setup,
            worker: Some(1),
            message: "setup broke".into(),
        }]
    );
    assert!(notices.iter().any(|n| matches!(
        n,
        Notice::FixtureFailed { fixture: Fixture::Setup, worker: Some(1), error }
            if error.to_string() == "setup broke"
    )));
    assert_eq!(log.count("teardown 0"), 1, "{entries:?}");
    assert_eq!(log.count("teardown 1"), 1, "{entries:?}");
    assert_eq!(log.count("teardown_session 0"), 1, "{entries:?}");
    assert_eq!(
        log.count("setup_session 1"),
        0,
        "no session after a failed setup"
    );
    assert_eq!(
        log.count("teardown_session 1"),
        0,
        "no session after a failed setup"
    );
    assert_eq!(log.count("scenario 1"), 0, "worker 1 ran no scenario");
    assert_eq!(entries.last().map(String::as_str), Some("global_teardown"));
    assert_eq!(summary.failures(), 0);
    assert!(summary.successes() < 2000, "the run stopped early");
}

#[tokio::test]
async fn a_failing_setup_session_skips_only_that_workers_teardown_session() {
    let log = Log::default();
    let plan = fixture_plan(&log, Some((Fixture::SetupSession, Some(1))));
    let summary = run(plan, config(2, 1000)).await;

    let entries = log.entries();
    assert_eq!(summary.stop, Some(StopCause::FixtureFailed));
    assert_eq!(
        summary.fixture_failures,
        [FixtureFailure {
            fixture: Fixture::SetupSession,
            worker: Some(1),
            message: "setup_session broke".into(),
        }]
    );
    assert_eq!(log.count("teardown_session 0"), 1, "{entries:?}");
    assert_eq!(log.count("teardown_session 1"), 0, "{entries:?}");
    assert_eq!(log.count("teardown 0"), 1, "{entries:?}");
    assert_eq!(log.count("teardown 1"), 1, "{entries:?}");
    assert_eq!(log.count("scenario 1"), 0, "{entries:?}");
    assert_eq!(entries.last().map(String::as_str), Some("global_teardown"));
}

#[tokio::test]
async fn a_failing_teardown_fixture_is_listed_and_the_run_completes() {
    for (fixture, worker) in [
        (Fixture::TeardownSession, Some(0)),
        (Fixture::Teardown, Some(1)),
        (Fixture::GlobalTeardown, None),
    ] {
        let log = Log::default();
        let plan = fixture_plan(&log, Some((fixture, worker)));
        let (summary, notices) = run_noticed(plan, config(2, 3)).await;

        let entries = log.entries();
        assert_eq!(summary.stop, None, "{fixture}");
        assert_eq!(summary.successes(), 6, "{fixture}");
        assert_eq!(
            summary.fixture_failures,
            [FixtureFailure {
                fixture,
                worker,
                message: format!("{fixture} broke"),
            }]
        );
        assert!(
            notices.iter().any(|n| matches!(
                n,
                Notice::FixtureFailed { fixture: f, worker: w, .. } if *f == fixture && *w == worker
            )),
            "{fixture}"
        );
        for w in 0..2 {
            assert_eq!(
                log.count(&format!("teardown_session {w}")),
                1,
                "{entries:?}"
            );
            assert_eq!(log.count(&format!("teardown {w}")), 1, "{entries:?}");
        }
        assert_eq!(entries.last().map(String::as_str), Some("global_teardown"));
    }
}

#[tokio::test]
async fn a_panicking_setup_is_a_fixture_failure() {
    let log = Log::default();
    let l = log.clone();
    let plan = Plan::new()
        .scenario(logged("scenario", &log))
        .setup(|worker, _| async move {
            assert!(worker != 1, "setup panicked");
            Ok(None)
        })
        .teardown(move |w| {
            l.push(format!("teardown {w}"));
            Ok(())
        });
    let summary = run(plan, config(2, 5)).await;

    assert_eq!(summary.stop, Some(StopCause::FixtureFailed));
    assert_eq!(summary.fixture_failures.len(), 1);
    let failure = &summary.fixture_failures[0];
    assert_eq!((failure.fixture, failure.worker), (Fixture::Setup, Some(1)));
    assert!(failure.message.contains("setup panicked"), "{failure:?}");
    assert_eq!(log.count("teardown 0"), 1);
    assert_eq!(log.count("teardown 1"), 1);
}

#[tokio::test]
async fn panicking_fixtures_are_fixture_failures_even_before_their_future_exists() {
    let log = Log::default();
    let l = log.clone();
    let plan = Plan::new()
        .scenario(logged("scenario", &log))
        .setup_session(|worker, _: Session| {
            // A panic in the closure itself, not in the future it returns.
            assert!(worker != 1, "setup_session panicked");
            async { Ok(()) }
        })
        .teardown(move |worker| {
            l.push(format!("teardown {worker}"));
            assert!(worker != 0, "teardown panicked");
            Ok(())
        });
    let runner = Runner::new(plan, config(2, 5)).unwrap();
    let progress = runner.progress();
    let summary = runner.run(Shutdown::new()).await.unwrap();

    let mut failed: Vec<(Fixture, Option<usize>, String)> = summary
        .fixture_failures
        .iter()
        .map(|f| (f.fixture, f.worker, f.message.clone()))
        .collect();
    failed.sort_by_key(|f| f.1);
    assert_eq!(
        failed,
        [
            (Fixture::Teardown, Some(0), "teardown panicked".into()),
            (
                Fixture::SetupSession,
                Some(1),
                "setup_session panicked".into()
            ),
        ]
    );
    assert_eq!(summary.stop, Some(StopCause::FixtureFailed));
    assert_eq!(log.count("teardown 0") + log.count("teardown 1"), 2);
    assert_eq!(progress.workers(), 0, "both workers ended normally");
}

#[tokio::test]
async fn a_panicking_global_fixture_is_its_failure_not_a_crash() {
    let target = target();
    let plan = Plan::new()
        .scenario(get_ok("home", &target.url("/")))
        .global_setup(|_| panic!("global_setup blew up"));
    let result = Runner::new(plan, config(1, 3))
        .unwrap()
        .run(Shutdown::new())
        .await;
    let Err(Error::FixtureFailed {
        fixture, source, ..
    }) = result
    else {
        panic!("expected the global_setup failure, got {result:?}");
    };
    assert_eq!(fixture, Fixture::GlobalSetup);
    assert_eq!(source.to_string(), "global_setup blew up");
    assert_eq!(target.requests(), 0);

    let plan = Plan::new()
        .scenario(get_ok("home", &target.url("/")))
        .global_teardown(|_| panic!("global_teardown blew up"));
    let summary = run(plan, config(1, 3)).await;
    assert_eq!(summary.successes(), 3);
    assert_eq!(
        summary.fixture_failures,
        [FixtureFailure {
            fixture: Fixture::GlobalTeardown,
            worker: None,
            message: "global_teardown blew up".into(),
        }]
    );
}
