//! OpenTelemetry's form of the [`families`](super::metrics::families): an OTLP/HTTP
//! `ExportMetricsServiceRequest` (protobuf), one `ResourceMetrics` per process (its resource:
//! `service.name`, `service.instance.id`, `molotov.run_id` and `OTEL_RESOURCE_ATTRIBUTES`),
//! cumulative sums, gauges, and latencies as *exponential* histograms in seconds.
//!
//! The messages are those of opentelemetry-proto (`collector/metrics/v1`, `metrics/v1`,
//! `common/v1`, `resource/v1`), with only the fields we send.

use prost::Message as _;

use super::metrics::{Family, Kind, Source, Value};
use molotov_core::stats::Latency;

/// The most buckets of an exponential histogram (the SDKs' default).
const MAX_BUCKETS: usize = 160;
/// The finest scale tried: buckets 2^(1/256) apart, finer than the HDR histograms' 3 digits.
const MAX_SCALE: i32 = 8;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ExportMetricsServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub(crate) resource_metrics: Vec<ResourceMetrics>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ResourceMetrics {
    #[prost(message, optional, tag = "1")]
    pub(crate) resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) scope_metrics: Vec<ScopeMetrics>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub(crate) attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ScopeMetrics {
    #[prost(message, optional, tag = "1")]
    pub(crate) scope: Option<InstrumentationScope>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) metrics: Vec<Metric>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct InstrumentationScope {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) version: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct KeyValue {
    #[prost(string, tag = "1")]
    pub(crate) key: String,
    #[prost(message, optional, tag = "2")]
    pub(crate) value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct AnyValue {
    #[prost(oneof = "any_value::Value", tags = "1, 3")]
    pub(crate) value: Option<any_value::Value>,
}

/// `AnyValue`'s oneof, the variants we send.
pub(crate) mod any_value {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub(crate) enum Value {
        #[prost(string, tag = "1")]
        StringValue(String),
        #[prost(int64, tag = "3")]
        IntValue(i64),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Metric {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) description: String,
    #[prost(string, tag = "3")]
    pub(crate) unit: String,
    #[prost(oneof = "metric::Data", tags = "5, 7, 10")]
    pub(crate) data: Option<metric::Data>,
}

/// `Metric`'s oneof, the variants we send.
pub(crate) mod metric {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub(crate) enum Data {
        #[prost(message, tag = "5")]
        Gauge(super::Gauge),
        #[prost(message, tag = "7")]
        Sum(super::Sum),
        #[prost(message, tag = "10")]
        ExponentialHistogram(super::ExponentialHistogram),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Gauge {
    #[prost(message, repeated, tag = "1")]
    pub(crate) data_points: Vec<NumberDataPoint>,
}

/// `AggregationTemporality::CUMULATIVE`.
const CUMULATIVE: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Sum {
    #[prost(message, repeated, tag = "1")]
    pub(crate) data_points: Vec<NumberDataPoint>,
    #[prost(int32, tag = "2")]
    pub(crate) aggregation_temporality: i32,
    #[prost(bool, tag = "3")]
    pub(crate) is_monotonic: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct NumberDataPoint {
    #[prost(message, repeated, tag = "7")]
    pub(crate) attributes: Vec<KeyValue>,
    #[prost(fixed64, tag = "2")]
    pub(crate) start_time_unix_nano: u64,
    #[prost(fixed64, tag = "3")]
    pub(crate) time_unix_nano: u64,
    #[prost(oneof = "number_data_point::Value", tags = "4, 6")]
    pub(crate) value: Option<number_data_point::Value>,
}

/// `NumberDataPoint`'s oneof.
pub(crate) mod number_data_point {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub(crate) enum Value {
        #[prost(double, tag = "4")]
        AsDouble(f64),
        #[prost(sfixed64, tag = "6")]
        AsInt(i64),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ExponentialHistogram {
    #[prost(message, repeated, tag = "1")]
    pub(crate) data_points: Vec<ExponentialHistogramDataPoint>,
    #[prost(int32, tag = "2")]
    pub(crate) aggregation_temporality: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ExponentialHistogramDataPoint {
    #[prost(message, repeated, tag = "1")]
    pub(crate) attributes: Vec<KeyValue>,
    #[prost(fixed64, tag = "2")]
    pub(crate) start_time_unix_nano: u64,
    #[prost(fixed64, tag = "3")]
    pub(crate) time_unix_nano: u64,
    #[prost(fixed64, tag = "4")]
    pub(crate) count: u64,
    #[prost(double, optional, tag = "5")]
    pub(crate) sum: Option<f64>,
    #[prost(sint32, tag = "6")]
    pub(crate) scale: i32,
    #[prost(fixed64, tag = "7")]
    pub(crate) zero_count: u64,
    #[prost(message, optional, tag = "8")]
    pub(crate) positive: Option<Buckets>,
    #[prost(double, optional, tag = "12")]
    pub(crate) min: Option<f64>,
    #[prost(double, optional, tag = "13")]
    pub(crate) max: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Buckets {
    #[prost(sint32, tag = "1")]
    pub(crate) offset: i32,
    #[prost(uint64, repeated, tag = "2")]
    pub(crate) bucket_counts: Vec<u64>,
}

/// What every process's resource says, besides its instance.
pub(crate) struct Resources<'a> {
    pub(crate) run_id: &'a str,
    /// `service.name`: `OTEL_SERVICE_NAME`, else `molotov`.
    pub(crate) service: &'a str,
    /// `OTEL_RESOURCE_ATTRIBUTES`, parsed.
    pub(crate) attributes: &'a [(String, String)],
}

/// Times of the points: when the process's counting started, and now (ns since the epoch).
#[derive(Clone, Copy)]
pub(crate) struct Times {
    pub(crate) start_ns: u64,
    pub(crate) now_ns: u64,
}

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
    }
}

/// Our label names as OpenTelemetry attributes (its semantic conventions where there is one).
fn attributes(labels: &[(&'static str, String)]) -> Vec<KeyValue> {
    labels
        .iter()
        .map(|(name, value)| match *name {
            "method" => string("http.request.method", value),
            "name" => string("molotov.request.name", value),
            // A status code, or the kind of error of a request without a response.
            "status" => match value.parse::<i64>() {
                Ok(code) => KeyValue {
                    key: "http.response.status_code".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::IntValue(code)),
                    }),
                },
                Err(_) => string("error.type", value),
            },
            "scenario" => string("molotov.scenario", value),
            "outcome" => string("molotov.outcome", value),
            "socket" => string("molotov.websocket.name", value),
            // OpenTelemetry's values for a direction.
            "direction" => match value.as_str() {
                "sent" => string("network.io.direction", "transmit"),
                "received" => string("network.io.direction", "receive"),
                _ => string("network.io.direction", value),
            },
            other => string(other, value),
        })
        .collect()
}

/// The request body: `families` of `sources`, a resource per source.
pub(crate) fn request(
    families: &[Family<'_>],
    sources: &[Source],
    resources: &Resources<'_>,
    times: Times,
) -> Vec<u8> {
    let mut out = ExportMetricsServiceRequest::default();
    for (index, source) in sources.iter().enumerate() {
        let mut attributes_of_resource = vec![
            string("service.name", resources.service),
            string("service.instance.id", &source.instance),
            string("molotov.run_id", resources.run_id),
        ];
        for (k, v) in resources.attributes {
            if !attributes_of_resource.iter().any(|a| &a.key == k) {
                attributes_of_resource.push(string(k, v));
            }
        }
        let metrics = families
            .iter()
            .filter_map(|family| metric(family, index, times))
            .collect();
        out.resource_metrics.push(ResourceMetrics {
            resource: Some(Resource {
                attributes: attributes_of_resource,
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "molotov".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                }),
                metrics,
            }],
        });
    }
    out.encode_to_vec()
}

/// The family's points of one source, as a metric (`None` when it has none).
fn metric(family: &Family<'_>, source: usize, times: Times) -> Option<Metric> {
    let series = family.series.iter().filter(|s| s.source == source);
    let number_points = || {
        series
            .clone()
            .filter_map(|s| match &s.value {
                Value::Number(n) => Some(NumberDataPoint {
                    attributes: attributes(&s.labels),
                    start_time_unix_nano: times.start_ns,
                    time_unix_nano: times.now_ns,
                    value: Some(number_data_point::Value::AsDouble(*n)),
                }),
                Value::Histogram(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let data = match family.kind {
        Kind::Counter => metric::Data::Sum(Sum {
            data_points: number_points(),
            aggregation_temporality: CUMULATIVE,
            is_monotonic: true,
        }),
        Kind::Gauge => metric::Data::Gauge(Gauge {
            data_points: number_points(),
        }),
        Kind::Histogram => metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: series
                .clone()
                .filter_map(|s| match &s.value {
                    Value::Histogram(latency) => {
                        Some(exponential(latency, attributes(&s.labels), times))
                    }
                    Value::Number(_) => None,
                })
                .collect(),
            aggregation_temporality: CUMULATIVE,
        }),
    };
    let empty = match &data {
        metric::Data::Sum(s) => s.data_points.is_empty(),
        metric::Data::Gauge(g) => g.data_points.is_empty(),
        metric::Data::ExponentialHistogram(h) => h.data_points.is_empty(),
    };
    (!empty).then(|| Metric {
        name: family.otel.to_owned(),
        description: family.help.to_owned(),
        unit: family.unit.to_owned(),
        data: Some(data),
    })
}

/// The index of the exponential bucket holding `seconds` at `scale`: bucket `i` holds
/// `(base^i, base^(i+1)]`, `base = 2^(2^-scale)`.
fn bucket_index(seconds: f64, scale: i32) -> i32 {
    let scaled = seconds.log2() * f64::from(scale).exp2();
    // Values are at least a microsecond (log2 > -20) and at most hours: no overflow.
    #[allow(clippy::cast_possible_truncation)]
    let index = scaled.ceil() as i32 - 1;
    index
}

/// `latency` as an exponential histogram point: the finest scale (at most [`MAX_SCALE`])
/// at which its samples fit in [`MAX_BUCKETS`] buckets.
fn exponential(
    latency: &Latency,
    attributes: Vec<KeyValue>,
    times: Times,
) -> ExponentialHistogramDataPoint {
    let buckets: Vec<(f64, u64)> = latency
        .buckets()
        .map(|(us, n)| (us as f64 / 1e6, n))
        .collect();
    let zero_count = buckets
        .iter()
        .filter(|(s, _)| *s <= 0.0)
        .map(|(_, n)| n)
        .sum();
    let positive: Vec<(f64, u64)> = buckets.into_iter().filter(|(s, _)| *s > 0.0).collect();
    let mut scale = MAX_SCALE;
    let (mut offset, mut counts) = (0, Vec::new());
    if let (Some(first), Some(last)) = (positive.first(), positive.last()) {
        loop {
            let (low, high) = (bucket_index(first.0, scale), bucket_index(last.0, scale));
            let span = usize::try_from(high - low).unwrap_or(0) + 1;
            if span <= MAX_BUCKETS || scale <= -10 {
                offset = low;
                counts = vec![0_u64; span];
                for (seconds, n) in &positive {
                    let i = usize::try_from(bucket_index(*seconds, scale) - low).unwrap_or(0);
                    if let Some(c) = counts.get_mut(i) {
                        *c += n;
                    }
                }
                break;
            }
            scale -= 1;
        }
    }
    let count = latency.count();
    ExponentialHistogramDataPoint {
        attributes,
        start_time_unix_nano: times.start_ns,
        time_unix_nano: times.now_ns,
        count,
        sum: Some(super::metrics::sum_seconds(latency)),
        scale,
        zero_count,
        positive: Some(Buckets {
            offset,
            bucket_counts: counts,
        }),
        min: (count > 0).then(|| latency.min().as_secs_f64()),
        max: (count > 0).then(|| latency.max().as_secs_f64()),
    }
}

/// `OTEL_RESOURCE_ATTRIBUTES`' `key=value,key=value` (values percent-decoded); malformed
/// pairs are skipped, as the SDKs do.
pub(crate) fn resource_attributes(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() {
                return None;
            }
            let v = url::form_urlencoded::parse(format!("v={}", v.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())?;
            Some((k.to_owned(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests;
