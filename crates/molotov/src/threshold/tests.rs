use std::time::Duration;

use molotov_core::stats::{Stats, Transfer};

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
