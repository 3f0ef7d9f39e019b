//! Statistics: request keys and statuses, every failure counted under its kind in the scenario
//! and the request entries, nothing lost, one latency sample per event.

use std::time::Duration;

use molotov_core::{Mode, Plan, RunConfig, Scenario, Session, ensure};

use crate::support::{config, get_ok, get_ok_fresh, refused_url, run, target};

#[tokio::test]
async fn requests_are_counted_by_method_path_and_status() {
    let target = target();
    let base = target.url("");
    let plan = Plan::new().scenario(Scenario::new("mixed", move |s: Session| {
        let base = base.clone();
        async move {
            s.get(&format!("{base}/")).send().await?;
            s.get(&format!("{base}/status/404")).send().await?;
            s.post(&format!("{base}/status/201?x=1")).send().await?;
            Ok(())
        }
    }));
    let summary = run(plan, config(2, 5)).await;

    let requests = &summary.report.requests;
    assert_eq!(
        requests.keys().collect::<Vec<_>>(),
        ["GET /", "GET /status/404", "POST /status/201"]
    );
    let root = &requests["GET /"];
    assert_eq!((root.successes, root.failures), (10, 0));
    assert_eq!(root.statuses.len(), 1);
    assert_eq!(root.statuses["200"], 10);
    // A response is a request success whatever its status; the status still shows.
    let missing = &requests["GET /status/404"];
    assert_eq!((missing.successes, missing.statuses["404"]), (10, 10));
    assert_eq!(requests["POST /status/201"].statuses["201"], 10);
    for entry in requests.values() {
        assert_eq!(entry.latency.count(), 10);
    }
    let mixed = &summary.report.scenarios["mixed"];
    assert_eq!((mixed.successes, mixed.latency.count()), (10, 10));
}

#[tokio::test]
async fn every_kind_of_failure_is_counted_under_its_kind() {
    let target = target();
    let refused = refused_url();
    let (malformed, truncated) = (target.url("/malformed"), target.url("/truncated"));
    let (slow, error) = (target.url("/delay/2000"), target.url("/status/500"));
    let timeout = Scenario::new("timeout", move |s: Session| {
        let url = slow.clone();
        async move {
            s.get(&url)
                .timeout(Duration::from_millis(50))
                .send()
                .await?;
            Ok(())
        }
    });
    let plan = Plan::new()
        .scenario(get_ok("ok", &target.url("/")))
        .scenario(get_ok("connect", &refused))
        .scenario(get_ok_fresh("protocol", &malformed))
        .scenario(get_ok_fresh("closed", &truncated))
        .scenario(timeout)
        .scenario(get_ok("assertion", &error));
    let config = RunConfig {
        mode: Mode::SingleRun,
        ..config(2, 0)
    };
    let summary = run(plan, config).await;

    let report = &summary.report;
    assert_eq!(report.scenarios["ok"].successes, 2);
    for kind in ["connect", "protocol", "closed", "timeout", "assertion"] {
        let entry = &report.scenarios[kind];
        assert_eq!((entry.successes, entry.failures), (0, 2), "{kind}");
        assert_eq!(entry.errors.len(), 1, "{kind}: {:?}", entry.errors);
        assert_eq!(
            entry.errors.get(kind),
            Some(&2),
            "{kind}: {:?}",
            entry.errors
        );
        assert!(entry.latency.is_empty(), "{kind}: failures are timed apart");
        assert_eq!(
            entry
                .failed_latency
                .as_ref()
                .map(molotov_core::stats::Latency::count),
            Some(2),
            "{kind}"
        );
        assert!(
            !entry.error_samples[kind].is_empty(),
            "{kind}: a sample message"
        );
    }
    assert!(
        report.scenarios["connect"].error_samples["connect"].starts_with("cannot connect ("),
        "{:?}",
        report.scenarios["connect"].error_samples
    );
    for (key, kind) in [
        ("GET /", "connect"),
        ("GET /malformed", "protocol"),
        ("GET /truncated", "closed"),
        ("GET /delay/2000", "timeout"),
    ] {
        let entry = &report.requests[key];
        assert_eq!(entry.failures, 2, "{key}");
        assert_eq!(
            entry.errors.get(kind),
            Some(&2),
            "{key}: {:?}",
            entry.errors
        );
        let failed = entry
            .failed_latency
            .as_ref()
            .map_or(0, molotov_core::stats::Latency::count);
        assert_eq!(
            (entry.latency.count(), failed),
            (entry.successes, entry.failures),
            "{key}: one sample per request, responses and failures apart"
        );
    }
    // The refused requests and the good ones share the key "GET /"; the 500s got a response.
    assert_eq!(report.requests["GET /"].successes, 2);
    assert_eq!(report.requests["GET /status/500"].statuses["500"], 2);
    assert_eq!(report.requests["GET /status/500"].failures, 0);
    // Nothing lost.
    assert_eq!(summary.successes() + summary.failures(), 12);
    assert_eq!((summary.successes(), summary.failures()), (2, 10));
    assert_eq!(report.totals().latency.count(), 2);
    assert_eq!(
        report
            .totals()
            .failed_latency
            .as_ref()
            .map(molotov_core::stats::Latency::count),
        Some(10)
    );
    assert_eq!(report.request_totals().total(), 12);
}

#[tokio::test]
async fn successes_and_failures_add_up_to_the_runs_and_progress_agrees() {
    let target = target();
    let (ok, bad) = (target.url("/"), target.url("/status/500"));
    let scenario = Scenario::new("half", move |s: Session| {
        let url = if s.context().step().is_multiple_of(2) {
            bad.clone()
        } else {
            ok.clone()
        };
        async move {
            let response = s.get(&url).send().await?;
            ensure!(response.status() == 200);
            Ok(())
        }
    });
    let runner = molotov_core::Runner::new(Plan::new().scenario(scenario), config(3, 20)).unwrap();
    let progress = runner.progress();
    let summary = runner.run(molotov_core::Shutdown::new()).await.unwrap();

    assert_eq!((summary.successes(), summary.failures()), (30, 30));
    assert_eq!((progress.successes(), progress.failures()), (30, 30));
    assert_eq!(progress.workers(), 0, "every worker is done");
    assert_eq!(progress.max_workers(), 3);
    let half = &summary.report.scenarios["half"];
    assert_eq!(half.errors["assertion"], 30);
    assert_eq!(half.latency.count(), 30);
    assert_eq!(
        half.failed_latency
            .as_ref()
            .map(molotov_core::stats::Latency::count),
        Some(30)
    );
    assert_eq!(target.requests(), 60);
}

#[tokio::test]
async fn request_keys_past_the_limit_are_grouped() {
    let target = target();
    let base = target.url("");
    let plan = Plan::new().scenario(Scenario::new("ids", move |s: Session| {
        let url = format!("{base}/status/{}", 200 + s.context().step());
        async move {
            s.get(&url).send().await?;
            Ok(())
        }
    }));
    let config = RunConfig {
        request_key_limit: 2,
        ..config(1, 5)
    };
    let summary = run(plan, config).await;

    let requests = &summary.report.requests;
    assert_eq!(requests.len(), 3, "{:?}", requests.keys());
    assert_eq!(requests["GET (other)"].total(), 3);
    assert_eq!(requests["GET /status/201"].total(), 1);
}
