//! The timeline through `Stats`' public API: intervals, their merge over processes, the bound
//! on long runs, and the JSON form.
#![allow(
    clippy::float_cmp,
    reason = "the seconds compared are sums of exact small values"
)]

use std::time::Duration;

use molotov_stats::{Gauges, IntervalArrivals, MAX_INTERVALS, Report, Stats, Timeline, Transfer};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn gauges(workers: u64) -> Gauges {
    Gauges {
        workers,
        ..Gauges::default()
    }
}

/// A recorder whose timeline starts at `t0`, after `seconds` closed seconds of `runs` runs each
/// (latencies 1..=runs ms), with `workers` workers.
fn run(t0: u64, seconds: u64, runs: u64, workers: u64) -> Stats {
    let mut stats = Stats::new(&["s"]);
    stats.start_timeline();
    for second in 0..seconds {
        for n in 1..=runs {
            stats.scenario_success(0, ms(n));
            stats.request_status("GET", "/", 200, ms(n), Transfer::default());
        }
        stats.close_interval(t0 + second, 1.0, gauges(workers));
    }
    stats
}

#[test]
fn no_timeline_unless_started() {
    let mut stats = Stats::new(&["s"]);
    stats.scenario_success(0, ms(1));
    stats.close_interval(0, 1.0, gauges(1));
    assert!(stats.report().timeline.is_none());
    let json = serde_json::to_value(stats.report()).unwrap();
    assert!(json.get("timeline").is_none());
}

#[test]
fn each_second_counts_what_happened_in_it() {
    let mut stats = Stats::new(&["s"]);
    stats.start_timeline();
    for n in 1..=100 {
        stats.scenario_success(0, ms(n));
    }
    stats.scenario_failure(0, "AssertionError", ms(3), String::new);
    stats.request_status("GET", "/", 200, ms(1), Transfer::default());
    stats.request_status("GET", "/", 503, ms(1), Transfer::default());
    stats.request_status("GET", "/", 99, ms(1), Transfer::default());
    stats.request_error(
        "GET",
        "/",
        "timeout",
        ms(1),
        Transfer::default(),
        String::new,
    );
    stats.close_interval(1_000, 1.0, gauges(7));
    stats.scenario_success(0, ms(5));
    stats.close_interval(
        1_001,
        0.5,
        Gauges {
            workers: 3,
            arrivals: Some(IntervalArrivals {
                scheduled: 10,
                started: 9,
                late: 2,
                dropped: 1,
            }),
            generator_busy: Some(0.5),
        },
    );

    let timeline = stats.report().timeline.unwrap();
    assert_eq!(timeline.interval_seconds, 1);
    let [first, last] = &timeline.intervals[..] else {
        panic!("{timeline:?}")
    };
    assert_eq!((first.t, first.seconds), (1_000, 1.0));
    assert_eq!(
        (first.successes, first.failures, first.requests),
        (100, 1, 4)
    );
    assert_eq!(first.statuses["2xx"], 1);
    assert_eq!(first.statuses["5xx"], 1);
    assert_eq!(first.statuses["other"], 1);
    assert_eq!(first.errors["timeout"], 1);
    assert_eq!(first.workers, 7);
    assert_eq!(first.latency.count(), 100, "successes only");
    // 2 significant digits: within 1 %.
    let p50 = first.latency.percentile_us(50.0).unwrap();
    assert!((50_000..=50_500).contains(&p50), "{p50}");
    let max = first.latency.max_us().unwrap();
    assert!((100_000..=101_000).contains(&max), "{max}");
    assert_eq!(first.arrivals, None);

    assert_eq!((last.t, last.seconds, last.successes), (1_001, 0.5, 1));
    assert_eq!(last.arrivals.unwrap().late, 2);
    assert_eq!(
        (first.generator_busy, last.generator_busy),
        (None, Some(0.5))
    );
    assert!(
        last.errors.is_empty(),
        "kinds of earlier intervals are not carried"
    );
}

#[test]
fn the_sliver_a_run_ends_with_joins_the_second_before() {
    let mut stats = run(50, 2, 10, 3);
    stats.scenario_success(0, ms(1));
    stats.close_interval(52, 0.1, gauges(0));
    let timeline = stats.report().timeline.unwrap();
    assert_eq!(timeline.intervals.len(), 2);
    let last = &timeline.intervals[1];
    assert_eq!((last.t, last.successes, last.workers), (51, 11, 3));
    assert!((last.seconds - 1.1).abs() < 1e-9);
}

#[test]
fn the_busiest_generator_of_processes_and_of_merged_time_is_kept() {
    let busy = |share: Option<f64>| Gauges {
        workers: 1,
        generator_busy: share,
        ..Gauges::default()
    };
    let mut a = Stats::new(&["s"]);
    a.start_timeline();
    a.close_interval(10, 1.0, busy(Some(0.4)));
    a.close_interval(11, 1.0, busy(None));
    let mut b = Stats::new(&["s"]);
    b.start_timeline();
    b.close_interval(10, 1.0, busy(Some(0.95)));
    b.close_interval(11, 1.0, busy(Some(0.3)));
    let mut total = Report::default();
    total.merge(&a.report()).unwrap();
    total.merge(&b.report()).unwrap();
    let timeline = total.timeline.unwrap();
    let shares: Vec<_> = timeline
        .intervals
        .iter()
        .map(|i| i.generator_busy)
        .collect();
    assert_eq!(
        shares,
        [Some(0.95), Some(0.3)],
        "the busiest process, or the one measured"
    );
    // Coarsened (the 1 s timeline merged into a 2 s one, which has nothing at that time): the
    // busiest of the merged seconds.
    let mut coarse: Timeline =
        serde_json::from_str(r#"{"interval_seconds": 2, "intervals": []}"#).unwrap();
    coarse.merge(&timeline);
    assert_eq!(coarse.interval_seconds, 2);
    assert_eq!(coarse.intervals.len(), 1);
    assert_eq!(
        coarse.intervals[0].seconds, 2.0,
        "one second after the other"
    );
    assert_eq!(coarse.intervals[0].generator_busy, Some(0.95));
    // Read back from a file that says anything: a share.
    let text = serde_json::to_string(&timeline)
        .unwrap()
        .replace("0.95", "7.5");
    let read: Timeline = serde_json::from_str(&text).unwrap();
    assert_eq!(read.intervals[0].generator_busy, Some(1.0));
    // Not measured: not written.
    let quiet = run(0, 1, 1, 1).report().timeline.unwrap();
    assert!(
        !serde_json::to_string(&quiet)
            .unwrap()
            .contains("generator_busy")
    );
}

#[test]
fn processes_merge_by_wall_clock_second() {
    // Two processes, the second started a second later.
    let a = run(100, 3, 10, 2).report();
    let b = run(101, 3, 20, 3).report();
    let mut total = Report::default();
    total.merge(&a).unwrap();
    total.merge(&b).unwrap();
    let timeline = total.timeline.unwrap();
    let ts: Vec<u64> = timeline.intervals.iter().map(|i| i.t).collect();
    assert_eq!(ts, [100, 101, 102, 103]);
    let runs: Vec<u64> = timeline.intervals.iter().map(|i| i.successes).collect();
    assert_eq!(runs, [10, 30, 30, 20]);
    let workers: Vec<u64> = timeline.intervals.iter().map(|i| i.workers).collect();
    assert_eq!(workers, [2, 5, 5, 3], "workers of processes add up");
    assert_eq!(timeline.intervals[1].seconds, 1.0);
    // The merged interval's histogram is the one of both processes' samples.
    assert_eq!(timeline.intervals[1].latency.count(), 30);
    let mut one = Stats::new(&["s"]);
    one.start_timeline();
    for n in (1..=10).chain(1..=20) {
        one.scenario_success(0, ms(n));
    }
    one.close_interval(101, 1.0, gauges(5));
    let single = &one.report().timeline.unwrap().intervals[0];
    for p in [0.0, 10.0, 50.0, 90.0, 99.0, 100.0] {
        assert_eq!(
            timeline.intervals[1].latency.percentile_us(p),
            single.latency.percentile_us(p),
            "p{p}"
        );
    }
}

#[test]
fn a_long_run_stays_bounded_and_coarsens() {
    // Four hours of seconds (from second 7 to 14400), each with one run.
    let seconds = 4 * 3600 - 7;
    let stats = run(7, seconds, 1, 1);
    let timeline = stats.report().timeline.unwrap();
    assert!(timeline.intervals.len() <= MAX_INTERVALS);
    assert_eq!(timeline.interval_seconds, 8);
    assert!(timeline.intervals.iter().all(|i| i.t % 8 == 0));
    let total: u64 = timeline.intervals.iter().map(|i| i.successes).sum();
    assert_eq!(total, seconds, "nothing is lost when intervals merge");
    let covered: f64 = timeline.intervals.iter().map(|i| i.seconds).sum();
    assert!((covered - seconds as f64).abs() < 1e-6);
    // The first interval starts at second 7, so [0, 8) covers one second of the run.
    assert_eq!(timeline.intervals[0].seconds, 1.0);
    assert_eq!(timeline.intervals[1].seconds, 8.0);
}

#[test]
fn merging_a_finer_timeline_into_a_coarser_one() {
    let long = run(0, MAX_INTERVALS as u64 + 10, 1, 1).report();
    let short = run(0, 10, 5, 1).report();
    let (long_t, short_t) = (long.timeline.unwrap(), short.timeline.unwrap());
    assert_eq!(long_t.interval_seconds, 2);
    let mut merged = short_t.clone();
    merged.merge(&long_t);
    assert_eq!(merged.interval_seconds, 2);
    assert_eq!(merged.intervals[0].successes, 2 + 10);
    let mut other_way = long_t;
    other_way.merge(&short_t);
    assert_eq!(other_way, merged, "merging is symmetric");
}

#[test]
fn json_round_trip_and_shape() {
    let report = run(1_700_000_000, 2, 50, 4).report();
    let json = serde_json::to_value(&report).unwrap();
    let t = &json["timeline"];
    assert_eq!(t["interval_seconds"], 1);
    let first = &t["intervals"][0];
    assert_eq!(first["t"], 1_700_000_000_u64);
    assert_eq!(first["successes"], 50);
    assert_eq!(first["statuses"]["2xx"], 50);
    assert_eq!(first["latency"]["count"], 50);
    assert!(first["latency"]["p99_us"].as_u64().unwrap() >= 49_000);
    assert!(
        first.get("scheduled").is_none(),
        "closed model: no arrivals"
    );
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.timeline, report.timeline);

    // Hand-edited buckets (unsorted, repeated, zero) are put back in order.
    let edited: Timeline = serde_json::from_str(
        r#"{"interval_seconds": 1, "intervals": [{"t": 5, "seconds": 1, "successes": 3,
            "failures": 0, "requests": 0, "workers": 1,
            "latency": {"buckets": [[30, 1], [10, 1], [30, 1], [20, 0]]}}]}"#,
    )
    .unwrap();
    let spread = &edited.intervals[0].latency;
    assert_eq!(spread.count(), 3);
    assert_eq!(spread.percentile_us(50.0), Some(30));
    assert_eq!(spread.percentile_us(0.0), Some(10));
    assert_eq!(spread.max_us(), Some(30));
}

#[test]
fn error_kinds_per_interval_are_capped() {
    let mut stats = Stats::new(&[]);
    stats.start_timeline();
    for n in 0..100 {
        stats.request_error(
            "GET",
            "/",
            &format!("kind{n}"),
            ms(1),
            Transfer::default(),
            String::new,
        );
    }
    stats.close_interval(0, 1.0, gauges(1));
    let interval = &stats.report().timeline.unwrap().intervals[0];
    assert_eq!(interval.errors.len(), 33);
    assert_eq!(interval.errors["(other)"], 68);
    assert_eq!(interval.requests, 100);
}

#[test]
fn a_day_of_wide_latencies_fits_in_a_few_tens_of_megabytes() {
    // 24 h, each second 60 runs spread from 100 us to 2 s (log-uniform over four decades: about
    // 1500 distinct buckets per 64 s interval at 2 digits, worse than a real server shows; 200
    // runs a second make 39 MB).
    let mut stats = Stats::new(&["s"]);
    stats.start_timeline();
    let mut x: u64 = 1;
    for second in 0..86_400 {
        for _ in 0..60 {
            // A small LCG: deterministic, spread over the whole range.
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let exponent = (x >> 11) as f64 / (1u64 << 53) as f64 * 4.3; // 10^0 .. 10^4.3
            let us = 100.0 * 10f64.powf(exponent);
            stats.scenario_success(0, Duration::from_secs_f64(us / 1e6));
        }
        stats.close_interval(second, 1.0, gauges(10));
    }
    let timeline = stats.report().timeline.unwrap();
    assert_eq!(timeline.interval_seconds, 64);
    assert_eq!(timeline.intervals.len(), 1350);
    let buckets: usize = timeline.intervals.iter().map(|i| i.latency.buckets()).sum();
    let bytes =
        buckets * 16 + timeline.intervals.len() * std::mem::size_of::<molotov_stats::Interval>();
    eprintln!("a day of timeline: {buckets} buckets, {bytes} bytes");
    assert!(bytes < 40 << 20, "{bytes} bytes");
    let runs: u64 = timeline.intervals.iter().map(|i| i.successes).sum();
    assert_eq!(runs, 86_400 * 60);
}

#[test]
fn a_timeline_read_back_is_put_in_shape() {
    // An interval of 0 (or not a power of two), intervals out of order and repeated, and more
    // of them than are kept: read back sorted, coarsened, bounded; merging it terminates.
    let intervals: Vec<String> = (0..4000)
        .rev()
        .chain([7, 7])
        .map(|t| {
            format!(
                r#"{{"t": {t}, "seconds": 1, "successes": 1, "failures": 0, "requests": 0,
                    "workers": 1, "latency": {{"buckets": []}}}}"#
            )
        })
        .collect();
    for width in [0, 3] {
        let json = format!(
            r#"{{"interval_seconds": {width}, "intervals": [{}]}}"#,
            intervals.join(",")
        );
        let timeline: Timeline = serde_json::from_str(&json).unwrap();
        assert!(timeline.interval_seconds.is_power_of_two());
        assert!(timeline.intervals.len() <= MAX_INTERVALS);
        assert!(timeline.intervals.windows(2).all(|w| w[0].t < w[1].t));
        let runs: u64 = timeline.intervals.iter().map(|i| i.successes).sum();
        assert_eq!(runs, 4002);
        let mut twice = timeline.clone();
        twice.merge(&timeline);
        assert_eq!(
            twice.intervals.iter().map(|i| i.successes).sum::<u64>(),
            8004
        );
    }
}
