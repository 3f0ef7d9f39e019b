//! Events: what listeners receive, with which fields, and what a failing listener does.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use molotov_core::{
    BoxError, Event, Failure, Listener, Mode, Notice, Plan, Reaction, RunConfig, Scenario, Session,
    failure_kind,
};

use crate::support::{Log, config, get_ok, logged, run, run_noticed, target};

#[tokio::test]
async fn request_events_carry_the_same_request_and_the_response() {
    /// (event, worker, request address, path or status)
    type Seen = Vec<(&'static str, usize, usize, String)>;
    let target = target();
    let seen: Rc<RefCell<Seen>> = Rc::default();
    let recorded = seen.clone();
    let plan = Plan::new()
        .scenario(get_ok("home", &target.url("/echo")))
        .listener(move |event: &Event<'_>| {
            match event {
                Event::SendingRequest { session, request } => recorded.borrow_mut().push((
                    event.name(),
                    session.worker_id(),
                    std::ptr::from_ref(*request) as usize,
                    request.url.path().to_owned(),
                )),
                Event::ResponseReceived {
                    session,
                    request,
                    response,
                } => recorded.borrow_mut().push((
                    event.name(),
                    session.worker_id(),
                    std::ptr::from_ref(*request) as usize,
                    response.status().as_u16().to_string(),
                )),
                _ => {}
            }
            Ok(())
        });
    let summary = run(plan, config(2, 3)).await;

    assert_eq!(summary.successes(), 6);
    let seen = seen.borrow();
    assert_eq!(seen.len(), 12, "{seen:?}");
    for worker in 0..2 {
        let mine: Vec<_> = seen.iter().filter(|e| e.1 == worker).collect();
        assert_eq!(mine.len(), 6);
        for pair in mine.chunks(2) {
            let (sent, received) = (pair[0], pair[1]);
            assert_eq!((sent.0, sent.3.as_str()), ("sending_request", "/echo"));
            assert_eq!(
                (received.0, received.3.as_str()),
                ("response_received", "200")
            );
            assert_eq!(sent.2, received.2, "the same request in both events");
        }
    }
}

#[tokio::test]
async fn no_response_received_event_for_a_request_that_failed() {
    let url = crate::support::refused_url();
    let names = Log::default();
    let recorded = names.clone();
    let plan = Plan::new()
        .scenario(get_ok("refused", &url))
        .listener(move |event: &Event<'_>| {
            recorded.push(event.name());
            Ok(())
        });
    let summary = run(plan, config(1, 1)).await;

    assert_eq!(summary.failures(), 1);
    assert_eq!(
        names.entries(),
        ["scenario_start", "sending_request", "scenario_failure"]
    );
}

#[tokio::test]
async fn scenario_events_name_the_scenario_the_worker_and_the_error() {
    let seen = Log::default();
    let recorded = seen.clone();
    let bad = Scenario::new("bad", |_: Session| async {
        Err::<(), BoxError>(Failure::new("broken", "it broke").into())
    });
    let plan = Plan::new()
        .scenario(logged("ok", &Log::default()))
        .scenario(bad)
        .listener(move |event: &Event<'_>| {
            match event {
                Event::ScenarioStart { scenario, worker }
                | Event::ScenarioSuccess { scenario, worker } => {
                    recorded.push(format!("{} {} {worker}", event.name(), scenario.name()));
                }
                Event::ScenarioFailure {
                    scenario,
                    worker,
                    error,
                } => recorded.push(format!(
                    "{} {} {}/{error} {worker}",
                    event.name(),
                    scenario.name(),
                    failure_kind(*error)
                )),
                _ => {}
            }
            Ok(())
        });
    let config = RunConfig {
        mode: Mode::SingleRun,
        ..config(2, 0)
    };
    let summary = run(plan, config).await;

    assert_eq!((summary.successes(), summary.failures()), (2, 2));
    for w in 0..2 {
        assert_eq!(
            seen.of_worker(w),
            [
                format!("scenario_start bad {w}"),
                format!("scenario_failure bad broken/it broke {w}"),
                format!("scenario_start ok {w}"),
                format!("scenario_success ok {w}"),
            ]
        );
    }
}

#[tokio::test]
async fn current_workers_is_sent_every_second_while_running() {
    let counts: Rc<RefCell<Vec<usize>>> = Rc::default();
    let recorded = counts.clone();
    let pace = Scenario::new("pace", |_: Session| async {
        // The work of the scenario: a little waiting, so the run is not all CPU.
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(())
    });
    let plan = Plan::new()
        .scenario(pace)
        .listener(move |event: &Event<'_>| {
            if let Event::CurrentWorkers { workers } = event {
                recorded.borrow_mut().push(*workers);
            }
            Ok(())
        });
    let config = RunConfig {
        duration: Some(Duration::from_millis(1200)),
        ..config(3, 0)
    };
    run(plan, config).await;

    // One event after 1 s (a second one only if the end of the run was held up), each with
    // the 3 workers running.
    let counts = counts.borrow();
    assert!(
        (1..=2).contains(&counts.len()) && counts.iter().all(|&n| n == 3),
        "{counts:?}"
    );
}

#[tokio::test]
async fn a_failing_listener_is_reported_and_the_run_goes_on() {
    /// A listener that fails asynchronously on every success.
    struct Slow;
    impl Listener for Slow {
        fn on_event(&self, event: &Event<'_>) -> Reaction {
            match event {
                Event::ScenarioSuccess { .. } => Reaction::Later(Box::pin(async {
                    tokio::task::yield_now().await;
                    Err("later, it failed".into())
                })),
                _ => Reaction::Done,
            }
        }
    }
    let later = Log::default();
    let recorded = later.clone();
    let plan = Plan::new()
        .scenario(logged("s", &Log::default()))
        .listener(|event: &Event<'_>| {
            if matches!(event, Event::ScenarioStart { .. }) {
                return Err("listener broke".into());
            }
            Ok(())
        })
        .listener(Slow)
        .listener(move |event: &Event<'_>| {
            recorded.push(event.name());
            Ok(())
        });
    let (summary, notices) = run_noticed(plan, config(1, 3)).await;

    assert_eq!(summary.successes(), 3);
    assert_eq!(
        later.count("scenario_start"),
        3,
        "later listeners still get the event"
    );
    let failed: Vec<(&str, String)> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::ListenerFailed { event, error } => Some((*event, error.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 6, "{failed:?}");
    assert_eq!(
        failed[..2],
        [
            ("scenario_start", "listener broke".to_owned()),
            ("scenario_success", "later, it failed".to_owned())
        ]
    );
}
