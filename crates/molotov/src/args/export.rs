//! The options of the metrics exporters (`--prometheus-write`, `--prometheus-listen`,
//! `--otlp`, `--export-interval`, `--run-id`), flattened into [`Args`](super::Args).

use clap::Args;
use serde::Serialize;

/// Where the run's metrics go while it lasts, besides statsd.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct ExportOptions {
    /// Push the metrics to this Prometheus remote write URL (e.g. `http://prometheus:9090/api/v1/write`) every --export-interval and at the end
    #[arg(long, value_name = "URL", value_parser = parse_push_url)]
    #[serde(serialize_with = "super::displayed_some")]
    pub prometheus_write: Option<url::Url>,

    /// Serve the metrics on /metrics at `[HOST:]PORT`, in Prometheus' text format, while the run lasts (host 127.0.0.1 unless given)
    #[arg(long, value_name = "[HOST:]PORT", value_parser = super::parse_listen)]
    #[serde(serialize_with = "super::displayed_some")]
    pub prometheus_listen: Option<std::net::SocketAddr>,

    /// Push the metrics to this OpenTelemetry OTLP/HTTP endpoint (protobuf; /v1/metrics is added to a URL without a path), or `env` for `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`
    #[arg(long, value_name = "URL", value_parser = parse_otlp)]
    pub otlp: Option<String>,

    /// Seconds between two pushes of the metrics (--prometheus-write, --otlp)
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = super::parse_positive_seconds)]
    pub export_interval: f64,

    /// The `run_id` label of every exported series (default: made up, and printed); give the same to every shard of a run
    #[arg(long, value_name = "ID", value_parser = parse_run_id)]
    pub run_id: Option<String>,
}

impl ExportOptions {
    /// Whether any exporter is asked for.
    pub fn any(&self) -> bool {
        self.prometheus_write.is_some() || self.prometheus_listen.is_some() || self.otlp.is_some()
    }
}

/// An `http` or `https` URL with a host.
pub(crate) fn parse_push_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} is not an http:// or https:// URL"));
    }
    Ok(url)
}

fn parse_otlp(text: &str) -> Result<String, String> {
    if text == "env" {
        return Ok(text.to_owned());
    }
    parse_push_url(text).map(|_| text.to_owned())
}

fn parse_run_id(text: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    if text.is_empty() || text.len() > 128 || !text.chars().all(fits) {
        return Err(format!(
            "{text:?} is not a run id: 1 to 128 letters, digits, '-', '_', '.' or ':'"
        ));
    }
    Ok(text.to_owned())
}
