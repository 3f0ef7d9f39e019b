//! Notices: what the console is told, in order, and `-vv`'s dumps.

use molotov_core::{Failure, Notice, Plan, RunConfig, Scenario, Session};

use crate::support::{Log, config, get_ok, logged, run_noticed};

/// A notice as a short comparable string, or `None` for those not traced here.
fn trace(notice: &Notice) -> Option<String> {
    Some(match notice {
        Notice::Preparing { workers } => format!("preparing {workers}"),
        Notice::Started => "started".into(),
        Notice::WorkerStarting(w) => format!("starting {w}"),
        Notice::SettingUpSession(w) => format!("session {w}"),
        Notice::RunningScenarios(w) => format!("running {w}"),
        Notice::Ran { worker, runs } => format!("ran {runs} {worker}"),
        Notice::WorkerDone(w) => format!("done {w}"),
        _ => return None,
    })
}

#[tokio::test]
async fn a_workers_life_is_told_in_order() {
    let plan = Plan::new().scenario(logged("s", &Log::default()));
    let (summary, notices) = run_noticed(plan, config(2, 25)).await;

    assert_eq!(summary.successes(), 50);
    let traced: Vec<String> = notices.iter().filter_map(trace).collect();
    assert_eq!(traced[..2], ["preparing 2", "started"]);
    for w in 0..2 {
        let suffix = format!(" {w}");
        let mine: Vec<&String> = traced.iter().filter(|t| t.ends_with(&suffix)).collect();
        assert_eq!(
            mine,
            ["starting", "session", "running", "ran 10", "ran 20", "done"]
                .map(|t| format!("{t} {w}"))
                .iter()
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(summary.dropped_notices, 0);
}

#[tokio::test]
async fn a_failure_notice_carries_the_worker_scenario_and_error() {
    let bad = Scenario::new("bad", |_: Session| async {
        Err(Failure::new("broken", "it broke")
            .with_detail("a long story")
            .into())
    });
    let (_, notices) = run_noticed(Plan::new().scenario(bad), config(1, 2)).await;

    let failures: Vec<_> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Failure {
                worker,
                scenario,
                error,
            } => Some((*worker, scenario.to_string(), error)),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2);
    let (worker, scenario, error) = &failures[0];
    assert_eq!((*worker, scenario.as_str()), (0, "bad"));
    let failure = error
        .downcast_ref::<Failure>()
        .expect("the scenario's own error");
    assert_eq!(
        (failure.kind(), failure.message(), failure.detail()),
        ("broken", "it broke", Some("a long story"))
    );
}

#[tokio::test]
async fn very_verbose_runs_dump_every_exchange() {
    let target = target();
    let url = target.url("/status/202");
    let plan = Plan::new().scenario(get_ok("s", &url)).setup(|_, _| async {
        let mut options = molotov_core::SessionOptions::default();
        options
            .headers
            .insert("x-session", http::HeaderValue::from_static("on"));
        Ok(Some(options))
    });
    let loud = RunConfig {
        verbose: 2,
        ..config(1, 2)
    };
    let (_, notices) = run_noticed(plan, loud).await;

    let dumps: Vec<&String> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Exchange(text) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(dumps.len(), 2);
    let dump = dumps[0];
    assert!(dump.contains(&format!("GET {url}")), "{dump}");
    assert!(dump.contains("202"), "{dump}");
    assert!(dump.contains(r#"{"status": 202}"#), "{dump}");
    // The session's headers and the default User-Agent are shown, as they are sent.
    assert!(dump.contains("x-session: on"), "{dump}");
    assert!(dump.contains("user-agent: molotov/"), "{dump}");

    // A failed request is dumped with its error.
    let refused = crate::support::refused_url();
    let quick = RunConfig {
        verbose: 2,
        ..config(1, 1)
    };
    let (_, notices) = run_noticed(Plan::new().scenario(get_ok("s", &refused)), quick).await;
    let dump = notices
        .iter()
        .find_map(|n| match n {
            Notice::Exchange(text) => Some(text.clone()),
            _ => None,
        })
        .expect("a dump of the failed request");
    assert!(dump.contains(&format!("GET {refused}")), "{dump}");
    assert!(dump.contains("cannot connect"), "{dump}");
}

#[tokio::test]
async fn quieter_runs_dump_nothing() {
    let target = target();
    let plan = Plan::new().scenario(get_ok("s", &target.url("/")));
    let config = RunConfig {
        verbose: 1,
        ..config(1, 3)
    };
    let (_, notices) = run_noticed(plan, config).await;
    assert!(!notices.iter().any(|n| matches!(n, Notice::Exchange(_))));
}

use crate::support::target;
