//! The families made of sources: series, labels, the caps on names.

use std::time::Duration;

use molotov_core::stats::{Stats, Transfer};

use super::*;

pub(crate) fn report_with(requests: usize) -> Report {
    let mut stats = Stats::new(&["login"]);
    for i in 0..requests {
        let key = format!("/item/{i}");
        let timing = Duration::from_millis(2);
        stats.request_status("GET", &key, 200, timing, Transfer::default());
    }
    let timing = Duration::from_secs(1);
    stats.request_error(
        "POST",
        "/login",
        "timeout",
        timing,
        Transfer::default(),
        || "timed out".into(),
    );
    stats.report()
}

#[test]
fn request_names_past_the_cap_add_up_under_other() {
    let report = report_with(MAX_REQUEST_NAMES + 20);
    let capped = capped_requests(&report);
    // 100 names, and each method's (other): POST /login comes after the GETs.
    assert_eq!(capped.len(), MAX_REQUEST_NAMES + 2);
    assert_eq!(capped[&("POST", OTHER_NAME)].errors["timeout"], 1);
    let other = &capped[&("GET", OTHER_NAME)];
    // Every request is still counted: 121 GETs, one POST, once each.
    let gets: u64 = capped
        .iter()
        .filter(|((m, _), _)| *m == "GET")
        .map(|(_, c)| c.statuses.values().sum::<u64>())
        .sum();
    assert_eq!(gets, MAX_REQUEST_NAMES as u64 + 20);
    assert_eq!(other.latency.count(), other.statuses["200"]);
}

#[test]
fn families_hold_runs_requests_and_the_open_model_when_there_is_one() {
    let source = Source {
        instance: "host:1".into(),
        report: Arc::new(report_with(2)),
        workers: 3,
        arrivals: None,
        generator_busy: None,
    };
    let found = families(std::slice::from_ref(&source));
    let names: Vec<_> = found.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "molotov_scenario_runs_total",
            "molotov_scenario_duration_seconds",
            "molotov_requests_total",
            "molotov_request_duration_seconds",
            "molotov_workers"
        ]
    );
    let requests = &found[2];
    let timeouts: Vec<_> = requests
        .series
        .iter()
        .filter(|s| s.labels.contains(&("status", "timeout".into())))
        .collect();
    assert_eq!(timeouts.len(), 1);
    let open = Source {
        arrivals: Some(Arrivals {
            target_rate: 10.0,
            achieved_rate: 9.5,
            late: 1,
            dropped: 0,
        }),
        ..source.clone()
    };
    assert_eq!(families(&[open]).len(), 9);
    // Where the generator's thread is measured, how busy it was last second.
    let measured = Source {
        generator_busy: Some(0.42),
        ..source
    };
    let found = families(std::slice::from_ref(&measured));
    let busy = found.last().unwrap();
    assert_eq!(busy.name, "molotov_generator_busy_ratio");
    assert!(
        matches!(busy.series[..], [Series { value: Value::Number(n), .. }] if (n - 0.42).abs() < 1e-12)
    );
}

#[test]
// Counts of whole messages and sockets: exact in an f64.
#[allow(clippy::float_cmp)]
fn socket_names_past_the_cap_add_up_under_other_and_every_figure_is_a_series() {
    let mut report = report_with(0);
    for i in 0..MAX_REQUEST_NAMES + 5 {
        let mut socket = SocketReport {
            opened: 2,
            closed: 1,
            sent: 10,
            received: 9,
            sent_bytes: 50,
            received_bytes: 45,
            ..SocketReport::default()
        };
        socket.failures.insert("close 1011".into(), 1);
        socket.duration.record(Duration::from_millis(20));
        socket.duration.record(Duration::from_millis(30));
        report.websockets.insert(format!("ws{i:03}"), socket);
    }
    let capped = capped_sockets(&report);
    assert_eq!(capped.len(), MAX_REQUEST_NAMES + 1);
    let other = &capped[OTHER_NAME];
    assert_eq!(
        (other.opened, other.sent, other.failures["close 1011"]),
        (10, 50, 5)
    );
    assert_eq!(other.duration.count(), 10);

    let source = Source {
        instance: "host:1".into(),
        report: Arc::new(report),
        workers: 1,
        arrivals: None,
        generator_busy: None,
    };
    let found = families(std::slice::from_ref(&source));
    let family = |name: &str| found.iter().find(|f| f.name == name).unwrap();
    let sum = |name: &str, with: (&str, &str)| -> f64 {
        family(name)
            .series
            .iter()
            .filter(|s| s.labels.iter().any(|(k, v)| *k == with.0 && v == with.1))
            .map(|s| match &s.value {
                Value::Number(n) => *n,
                Value::Histogram(h) => h.count() as f64,
            })
            .sum()
    };
    let sockets = (MAX_REQUEST_NAMES + 5) as f64;
    let named = ("socket", "ws000");
    assert_eq!(sum("molotov_websockets_opened_total", named), 2.0);
    let ended = "molotov_websockets_ended_total";
    assert_eq!(sum(ended, ("outcome", "closed")), sockets);
    assert_eq!(sum(ended, ("outcome", "close 1011")), sockets);
    let messages = "molotov_websocket_messages_total";
    assert_eq!(sum(messages, ("direction", "sent")), 10.0 * sockets);
    assert_eq!(sum(messages, ("direction", "received")), 9.0 * sockets);
    let bytes = "molotov_websocket_message_bytes_total";
    assert_eq!(sum(bytes, ("direction", "received")), 45.0 * sockets);
    let durations = "molotov_websocket_duration_seconds";
    assert_eq!(sum(durations, ("socket", OTHER_NAME)), 10.0);
    assert_eq!(family(durations).kind, Kind::Histogram);
}

#[test]
fn bucket_counts_are_cumulative_and_end_with_every_sample() {
    let mut latency = Latency::new();
    for ms in [1, 2, 3, 40, 900] {
        latency.record(Duration::from_millis(ms));
    }
    let counts: Vec<u64> = BUCKETS
        .iter()
        .map(|&b| count_at_most(&latency, b))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert_eq!(count_at_most(&latency, 0.001), 1);
    assert_eq!(count_at_most(&latency, 0.005), 3);
    assert_eq!(*counts.last().unwrap(), 5);
    assert!((sum_seconds(&latency) - 0.946).abs() < 0.01);
}
