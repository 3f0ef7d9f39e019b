//! One set of percentiles everywhere: `--percentiles` chooses the summary's columns and the
//! derived fields of `--json`, and both show the same values (the dashboard's columns are
//! checked in `dashboard`).

use crate::support::{target, testbed};

/// A latency in µs as the summary writes it (`0.42ms`, `12.3ms`, `250ms`, `1.20s`).
fn shown(us: u64) -> String {
    // As the summary computes it (from a Duration): the same float, the same rounding.
    let ms = std::time::Duration::from_micros(us).as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}ms")
    } else if ms < 100.0 {
        format!("{ms:.1}ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

#[test]
fn the_summary_and_the_json_show_the_same_chosen_percentiles() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["-w", "2", "-r", "200", "-c", "--percentiles", "99.9,50,75"])
        .run_with_results();
    run.code(0);
    let latency = &results["scenarios"]["ok"]["latency"];
    let keys: Vec<&str> = latency
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with('p'))
        .collect();
    assert_eq!(keys, ["p50_us", "p75_us", "p99.9_us"], "{latency}");
    let header = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Scenario "))
        .unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "Scenario", "count", "ok", "failed", "rate/s", "p50", "p75", "p99.9", "max", "outcomes"
        ]
    );
    let row: Vec<&str> = run
        .stdout
        .lines()
        .find(|l| l.starts_with("ok "))
        .unwrap()
        .split_whitespace()
        .collect();
    for (cell, key) in row[5..9]
        .iter()
        .zip(["p50_us", "p75_us", "p99.9_us", "max_us"])
    {
        let us = latency[key].as_u64().unwrap();
        assert_eq!(*cell, shown(us), "{key}");
    }
}

#[test]
fn by_default_the_percentiles_are_50_90_95_99_99_9_and_max() {
    let server = target();
    let (run, results) = testbed()
        .at(&server)
        .args(["-w", "1", "-r", "10", "-c"])
        .run_with_results();
    run.code(0);
    let latency = results["requests"]["GET /"]["latency"]
        .as_object()
        .unwrap()
        .clone();
    for key in [
        "p50_us", "p90_us", "p95_us", "p99_us", "p99.9_us", "max_us", "min_us",
    ] {
        assert!(latency.contains_key(key), "{key}");
    }
    let header = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Request "))
        .unwrap();
    assert!(header.contains("p50  ") && header.contains("p99.9") && header.contains("max"));
}
