use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::export::metrics::families;
use molotov_core::stats::{Stats, Transfer};

#[test]
fn an_exponential_histogram_keeps_every_sample_in_the_right_bucket() {
    let mut latency = Latency::new();
    // Away from powers of two: HDR's value for a sample is its bucket's top, a little above.
    let samples = [0.0007, 0.0013, 0.003, 0.003, 0.6, 3.3];
    for s in samples {
        latency.record(Duration::from_secs_f64(s));
    }
    let times = Times {
        start_ns: 1,
        now_ns: 2,
    };
    let point = exponential(&latency, Vec::new(), times);
    let positive = point.positive.unwrap();
    assert_eq!(point.count, 6);
    assert_eq!(positive.bucket_counts.iter().sum::<u64>(), 6);
    assert!(positive.bucket_counts.len() <= MAX_BUCKETS);
    // Each sample's bucket, at the scale chosen, holds it: (base^i, base^(i+1)].
    let base = (-f64::from(point.scale)).exp2().exp2();
    for s in samples {
        let i = bucket_index(s, point.scale);
        let slot = usize::try_from(i - positive.offset).unwrap();
        assert!(positive.bucket_counts[slot] > 0, "{s}");
        let (low, high) = (base.powi(i), base.powi(i + 1));
        assert!(
            low < s * 1.002 && s <= high * 1.002,
            "{s} in ({low}, {high}]"
        );
    }
    assert!(point.scale < MAX_SCALE, "4 decades need a coarser scale");
}

#[test]
fn a_request_has_a_resource_per_process_and_decodes_back() {
    let mut stats = Stats::new(&["hit"]);
    stats.request_status(
        "GET",
        "/",
        503,
        Duration::from_millis(4),
        Transfer::default(),
    );
    let source = Source {
        instance: "h:1".into(),
        report: Arc::new(stats.report()),
        workers: 1,
        arrivals: None,
        generator_busy: None,
    };
    let sources = [
        source.clone(),
        Source {
            instance: "h:2".into(),
            ..source
        },
    ];
    let extra = resource_attributes("deployment.environment=ci,team=load%20test,broken");
    assert_eq!(
        extra,
        [
            ("deployment.environment".to_owned(), "ci".to_owned()),
            ("team".to_owned(), "load test".to_owned())
        ]
    );
    let resources = Resources {
        run_id: "r",
        service: "molotov",
        attributes: &extra,
    };
    let times = Times {
        start_ns: 1,
        now_ns: 2,
    };
    let body = request(&families(&sources), &sources, &resources, times);
    let decoded = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
    assert_eq!(decoded.resource_metrics.len(), 2);
    let metrics = &decoded.resource_metrics[1].scope_metrics[0].metrics;
    let requests = metrics
        .iter()
        .find(|m| m.name == "molotov.requests")
        .unwrap();
    let Some(metric::Data::Sum(sum)) = &requests.data else {
        panic!("not a sum")
    };
    assert_eq!(sum.data_points.len(), 1);
    assert!(
        sum.data_points[0]
            .attributes
            .iter()
            .any(|a| a.key == "http.response.status_code")
    );
}
