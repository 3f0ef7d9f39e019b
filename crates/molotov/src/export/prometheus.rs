//! Prometheus' two forms of the [`families`](super::metrics::families): the text exposition
//! format (`/metrics`, for `--prometheus-listen`) and a remote write request (version 1 of
//! the protocol: a protobuf `WriteRequest`, snappy-compressed, for `--prometheus-write`).
//! Histograms are classic ones: cumulative `_bucket{le=...}` series at
//! [`BUCKETS`](super::metrics::BUCKETS), `_sum` and `_count`.

use std::fmt::Write as _;

use prost::Message as _;

use super::metrics::{BUCKETS, Family, Kind, Source, Value, count_at_most, sum_seconds};

/// The labels every series carries besides its own: `run_id` and its source's `instance`.
pub(crate) struct Common<'a> {
    pub(crate) run_id: &'a str,
    pub(crate) sources: &'a [Source],
}

impl Common<'_> {
    fn labels(&self, source: usize) -> [(&'static str, &str); 2] {
        let instance = self.sources.get(source).map_or("", |s| s.instance.as_str());
        [("run_id", self.run_id), ("instance", instance)]
    }
}

/// One sample of a series, as both forms write it.
struct Sample<'a> {
    name: String,
    labels: Vec<(&'static str, &'a str)>,
    value: f64,
}

/// Every sample of `family`: one per series, or a histogram's buckets, sum and count.
fn samples<'a>(family: &'a Family<'_>, common: &'a Common<'_>) -> Vec<Sample<'a>> {
    let mut out = Vec::new();
    for series in &family.series {
        let mut labels: Vec<(&'static str, &str)> = series
            .labels
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        labels.extend(common.labels(series.source));
        match &series.value {
            Value::Number(value) => out.push(Sample {
                name: family.name.to_owned(),
                labels,
                value: *value,
            }),
            Value::Histogram(latency) => {
                for (bound, le) in BUCKETS.iter().zip(LE) {
                    let mut labels = labels.clone();
                    labels.push(("le", le));
                    out.push(Sample {
                        name: format!("{}_bucket", family.name),
                        labels,
                        value: count_at_most(latency, *bound) as f64,
                    });
                }
                let count = latency.count() as f64;
                let mut inf = labels.clone();
                inf.push(("le", "+Inf"));
                out.push(Sample {
                    name: format!("{}_bucket", family.name),
                    labels: inf,
                    value: count,
                });
                out.push(Sample {
                    name: format!("{}_sum", family.name),
                    labels: labels.clone(),
                    value: sum_seconds(latency),
                });
                out.push(Sample {
                    name: format!("{}_count", family.name),
                    labels,
                    value: count,
                });
            }
        }
    }
    out
}

/// [`BUCKETS`] as `le` label values.
const LE: [&str; 20] = [
    "0.000025", "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "25", "60",
];

/// The text exposition format (version 0.0.4) of `families`.
pub(crate) fn text(families: &[Family<'_>], common: &Common<'_>) -> String {
    let mut out = String::new();
    for family in families {
        let kind = match family.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(out, "# TYPE {} {kind}", family.name);
        for sample in samples(family, common) {
            out.push_str(&sample.name);
            out.push('{');
            for (i, (name, value)) in sample.labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{name}=\"");
                escape_label(&mut out, value);
                out.push('"');
            }
            let _ = writeln!(out, "}} {}", number(sample.value));
        }
    }
    out
}

/// A label value as the text format quotes it: backslash, double quote and newline escaped.
fn escape_label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value: integers without a fraction, others as Rust writes them (`NaN`, `+Inf`).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

/// Remote write's `WriteRequest` (prometheus/prompb, version 1), the fields we send.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub(crate) timeseries: Vec<TimeSeries>,
}

/// One series and its samples.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TimeSeries {
    /// Sorted by name, `__name__` among them.
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) samples: Vec<RemoteSample>,
}

/// A label.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Label {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// A sample: its value and its time in milliseconds since the Unix epoch.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RemoteSample {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    #[prost(int64, tag = "2")]
    pub(crate) timestamp: i64,
}

/// The body of a remote write request: `families` at `timestamp_ms`, encoded and
/// snappy-compressed (the block format, as the protocol wants).
pub(crate) fn remote_write(
    families: &[Family<'_>],
    common: &Common<'_>,
    timestamp_ms: i64,
) -> Vec<u8> {
    let mut request = WriteRequest::default();
    for family in families {
        for sample in samples(family, common) {
            let mut labels: Vec<Label> = sample
                .labels
                .iter()
                .map(|(name, value)| Label {
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect();
            labels.push(Label {
                name: "__name__".into(),
                value: sample.name,
            });
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            request.timeseries.push(TimeSeries {
                labels,
                samples: vec![RemoteSample {
                    value: sample.value,
                    timestamp: timestamp_ms,
                }],
            });
        }
    }
    let encoded = request.encode_to_vec();
    snap::raw::Encoder::new()
        .compress_vec(&encoded)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::export::metrics::{Source, families};
    use molotov_core::stats::{Stats, Transfer};
    use std::time::Duration;

    fn source() -> Source {
        let mut stats = Stats::new(&["hit"]);
        for ms in [1, 2, 30] {
            let t = Duration::from_millis(ms);
            stats.request_status("GET", "/a\"b", 200, t, Transfer::default());
        }
        stats.scenario_success(0, Duration::from_millis(3));
        Source {
            instance: "host:7".into(),
            report: Arc::new(stats.report()),
            workers: 2,
            arrivals: None,
            generator_busy: None,
        }
    }

    #[test]
    fn the_text_format_has_types_escaped_labels_and_cumulative_buckets() {
        let sources = [source()];
        let common = Common {
            run_id: "r1",
            sources: &sources,
        };
        let text = text(&families(&sources), &common);
        assert!(
            text.contains("# TYPE molotov_requests_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "molotov_requests_total{method=\"GET\",name=\"/a\\\"b\",status=\"200\",run_id=\"r1\",instance=\"host:7\"} 3\n"
            ),
            "{text}"
        );
        assert!(text.contains("le=\"0.001\"} 1\n"), "{text}");
        assert!(text.contains("le=\"0.0025\"} 2\n"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("molotov_workers{run_id=\"r1\",instance=\"host:7\"} 2\n"));
        assert!(text.contains(
            "molotov_scenario_runs_total{scenario=\"hit\",outcome=\"success\",run_id=\"r1\",instance=\"host:7\"} 1\n"
        ));
    }

    #[test]
    fn a_remote_write_request_decodes_back_with_sorted_labels() {
        let sources = [source()];
        let common = Common {
            run_id: "r1",
            sources: &sources,
        };
        let body = remote_write(&families(&sources), &common, 1_700_000_000_000);
        let decoded = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
        let request = WriteRequest::decode(decoded.as_slice()).unwrap();
        for series in &request.timeseries {
            let names: Vec<_> = series.labels.iter().map(|l| l.name.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted);
            assert!(names.contains(&"__name__") && names.contains(&"run_id"));
            assert_eq!(series.samples[0].timestamp, 1_700_000_000_000);
        }
        let total = request
            .timeseries
            .iter()
            .find(|s| s.labels.iter().any(|l| l.value == "molotov_requests_total"))
            .unwrap();
        assert!((total.samples[0].value - 3.0).abs() < f64::EPSILON);
    }
}
