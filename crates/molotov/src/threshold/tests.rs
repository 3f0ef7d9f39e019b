use std::time::Duration;

use molotov_core::stats::{Stats, Transfer};
use molotov_core::{ArrivalSummary, GeneratorLoad};

use super::*;

/// 100 runs of `login` (1..=100 ms, 2 of them failed with `AssertionError`), 50 of `browse`,
/// and 200 requests: 196 `200`, 2 `503`, 2 timeouts.
fn report() -> Report {
    let mut stats = Stats::new(&["login", "browse", "idle"]);
    for n in 1..=98 {
        stats.scenario_success(0, Duration::from_millis(n));
    }
    for _ in 0..2 {
        stats.scenario_failure(0, "AssertionError", Duration::from_millis(5), String::new);
    }
    for _ in 0..50 {
        stats.scenario_success(1, Duration::from_millis(2));
    }
    for n in 0..196 {
        stats.request_status(
            "GET",
            "/",
            200,
            Duration::from_micros(100 + n),
            Transfer::default(),
        );
    }
    for _ in 0..2 {
        stats.request_status(
            "GET",
            "/x",
            503,
            Duration::from_millis(1),
            Transfer::default(),
        );
        stats.request_error(
            "GET",
            "/",
            "timeout",
            Duration::from_secs(1),
            Transfer::default(),
            String::new,
        );
    }
    stats.report()
}

fn verdict(text: &str) -> Verdict {
    let report = report();
    let observed = Observed {
        report: &report,
        elapsed: Duration::from_secs(10),
        arrivals: None,
        generator: None,
    };
    text.parse::<Threshold>().unwrap().evaluate(&observed)
}

fn passes(text: &str) -> bool {
    let v = verdict(text);
    assert!(!v.no_data, "{text}: {v:?}");
    v.passed
}

#[test]
fn latencies() {
    assert!(passes("scenario[login].p50 < 50ms"));
    assert!(!passes("scenario[login].p50 < 49ms"));
    assert!(passes("scenario[login].max <= 98.1ms"));
    assert!(passes("scenario.min <= 1ms"));
    let v = verdict("request.max < 2ms");
    assert!(v.passed, "timeouts are not response times: {v:?}");
    assert!(passes("request[GET /x].p50 > 999us"));
    let v = verdict("scenario[login].p99 < 10ms");
    assert!(!v.passed);
    assert_eq!(v.shown, "98.0ms");
    assert_eq!(v.limit, "< 10.0ms");
}

#[test]
fn counts_rates_and_shares() {
    assert!(passes("scenario.count == 150"));
    assert!(passes("rate == 15"));
    assert_eq!(verdict("rate > 5").shown, "15.0/s");
    assert!(passes("requests.rate == 20"));
    assert!(passes("failures.count == 2"));
    let v = verdict("failures < 1%");
    assert!(!v.passed);
    assert_eq!(v.shown, "1.33 %");
    assert!(passes("failures < 1.34%"));
    assert!(passes("scenario[browse].failures == 0"));
    assert!(passes("request.failures.count == 2"));
    assert!(passes("errors[timeout] == 2"));
    assert!(passes("errors[timeout] <= 1%"));
    assert!(
        passes("errors[AssertionError] == 2"),
        "scenario exceptions count"
    );
    // A share of the 150 runs (2 of the 200 requests would be 1 %).
    assert!(passes("errors[AssertionError] > 1.33%"));
    assert!(passes("errors[AssertionError] < 1.34%"));
    let v = verdict("errors[AsertionError] == 0");
    assert!(v.passed, "a count of zero is data");
    assert_eq!(v.shown, "0 (no failure of this kind was seen)");
    assert!(passes("status[5xx] == 2"));
    assert!(passes("status[5xx] == 1%"));
    assert!(passes("status[2xx] > 97%"));
    assert!(passes("status[503] == 2"));
    assert!(passes("status[404] == 0"));
}

#[test]
fn no_data_fails() {
    for text in [
        "scenario[idle].p95 < 1s",
        "request[GET /never].p99 < 1s",
        "scenario[idle].failures < 1%",
    ] {
        let v = verdict(text);
        assert!(v.no_data && !v.passed, "{text}: {v:?}");
        assert_eq!(v.shown, "no data");
    }
    // A count of nothing is zero, which is data.
    assert!(passes("scenario[idle].count == 0"));
    // Nothing ran at all: shares and rates have no data.
    let empty = Report::default();
    let observed = Observed {
        report: &empty,
        elapsed: Duration::ZERO,
        arrivals: None,
        generator: None,
    };
    for text in [
        "failures < 1%",
        "rate > 0",
        "status[5xx] < 1%",
        "scenario.p99 < 1s",
    ] {
        let v = text.parse::<Threshold>().unwrap().evaluate(&observed);
        assert!(v.no_data && !v.passed, "{text}: {v:?}");
    }
}

#[test]
fn scenario_names_are_checked_before_the_run() {
    let thresholds =
        Thresholds::parse(&["scenario[login].p95 < 1s", "request[GET /x].p95 < 1s"]).unwrap();
    assert!(thresholds.check_scenarios(&["login", "browse"]).is_ok());
    let error = thresholds
        .check_scenarios(&["browse"])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no scenario is named \"login\" (the test has: browse)"),
        "{error}"
    );
}

#[test]
fn shown_values() {
    assert_eq!(show_micros(850.0), "0.85ms");
    assert_eq!(show_micros(12_345.0), "12.3ms");
    assert_eq!(show_micros(12_500_000.0), "12.50s");
    assert_eq!(three_digits(0.0412), "0.0412");
    assert_eq!(three_digits(1200.0), "1200");
}

/// An open-model run of 10 s: 1000 runs scheduled, 990 started (20 of them late, lags 1 to
/// 990 µs), 10 dropped; its generator busy 60 % of 10 s, saturated 2 s, 95 % at its peak.
fn open_verdict(text: &str) -> Verdict {
    let report = report();
    let mut lag = Latency::default();
    for us in 1..=990 {
        lag.record(Duration::from_micros(us));
    }
    let arrivals = ArrivalSummary {
        scheduled: 1000,
        started: 990,
        late: 20,
        dropped: 10,
        lag,
        target_rate: 100.0,
    };
    let generator = GeneratorLoad {
        seconds: 10.0,
        running_seconds: 5.5,
        waiting_seconds: 0.5,
        saturated_seconds: 2.0,
        peak: 0.95,
    };
    let observed = Observed {
        report: &report,
        elapsed: Duration::from_secs(10),
        arrivals: Some(&arrivals),
        generator: Some(&generator),
    };
    text.parse::<Threshold>().unwrap().evaluate(&observed)
}

/// Whether `text` holds on [`open_verdict`]'s run (which has data for it).
fn holds(text: &str) -> bool {
    let v = open_verdict(text);
    assert!(!v.no_data, "{text}: {v:?}");
    v.passed
}

#[test]
fn the_open_models_runs_and_start_lags() {
    // Late: a share of the runs started; dropped and started: of the runs scheduled.
    assert!(holds("late.count == 20"));
    assert!(holds("late > 2.02%") && holds("late < 2.03%"));
    assert!(holds("dropped == 10") && holds("dropped.count == 10"));
    assert!(holds("dropped == 1%"));
    assert!(holds("started >= 99%") && !holds("started >= 99.5%"));
    assert!(holds("started.count == 990"));
    let v = open_verdict("dropped == 0");
    assert!(!v.passed);
    assert_eq!((v.shown.as_str(), v.limit.as_str()), ("10", "== 0"));
    assert_eq!(open_verdict("late < 1%").shown, "2.02 %");
    // Start lags: a histogram's statistics.
    assert!(holds("lag.max < 1ms") && !holds("lag.max < 900us"));
    assert!(holds("lag.p50 > 490us") && holds("lag.p50 < 500us"));
    assert!(holds("lag.min <= 1us"));
    assert_eq!(open_verdict("lag.p99 < 1ms").shown, "0.98ms");
    // Without the open model's figures (a closed run's results merged): no data, failing.
    for text in [
        "late < 1%",
        "dropped == 0",
        "started > 99%",
        "lag.p99 < 1ms",
    ] {
        let v = verdict(text);
        assert!(v.no_data && !v.passed, "{text}: {v:?}");
    }
}

#[test]
fn how_busy_the_generator_was() {
    assert!(holds("generator.busy == 60%") && !holds("generator.busy < 60%"));
    assert!(holds("generator.peak < 96%") && !holds("generator.peak < 90%"));
    // Saturated: a share of the seconds measured, seconds, or a duration.
    assert!(holds("generator.saturated == 20%"));
    assert!(holds("generator.saturated == 2") && !holds("generator.saturated == 0"));
    assert!(holds("generator.saturated < 2.5s") && !holds("generator.saturated < 1500ms"));
    assert_eq!(open_verdict("generator.saturated == 0").shown, "2.0 s");
    assert_eq!(open_verdict("generator.saturated < 1s").shown, "2000ms");
    assert_eq!(open_verdict("generator.busy < 50%").shown, "60 %");
    // Not measured (another OS, a results file without it): no data, failing.
    let v = verdict("generator.saturated == 0");
    assert!(v.no_data && !v.passed, "{v:?}");
}

#[test]
fn the_open_models_metrics_need_the_open_model() {
    let open_only = [
        "late < 1%",
        "dropped == 0",
        "started > 99%",
        "lag.p99 < 1ms",
    ];
    for text in open_only {
        let thresholds = Thresholds::parse(&[text]).unwrap();
        assert!(thresholds.check_model(true).is_ok(), "{text}");
        let error = thresholds.check_model(false).unwrap_err().to_string();
        assert!(
            error.contains("measures the open model's runs: add --rate or --rate-stages"),
            "{text}: {error}"
        );
    }
    let either = Thresholds::parse(&["generator.saturated == 0", "failures < 1%"]).unwrap();
    assert!(either.check_model(false).is_ok());
}
