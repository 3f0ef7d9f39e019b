//! The exporter's thread: every interval, the latest snapshot encoded and pushed to each
//! endpoint (Prometheus remote write, OTLP/HTTP) with the engine's HTTP client on a runtime
//! of its own; the final snapshot as soon as it arrives. A push that fails is counted, and
//! its first failure per endpoint is a warning line; nothing is retried (the next push
//! carries the same cumulative figures, and more).

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use molotov_core::Notices;
use molotov_core::http::{Client, ClientConfig, Request};

use super::metrics::{Source, families};
use super::{ExportConfig, FINAL_WAIT, PushOutcome, Shared, otlp, prometheus, unix_nanos};

/// The most a push may take during the run (the interval, if shorter).
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an endpoint's answer read (its error message).
const MAX_ANSWER: u64 = 64 * 1024;

/// Where pushes go, and in what form.
enum Target {
    RemoteWrite(url::Url),
    Otlp(super::Otlp),
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::RemoteWrite(url) => format!("Prometheus remote write {url}"),
            Target::Otlp(otlp) => format!("OTLP {}", otlp.url),
        }
    }
}

pub(super) struct Pusher {
    run_id: String,
    interval: Duration,
    targets: Vec<Target>,
    shared: Arc<Shared>,
    notices: Notices,
    start_ns: u64,
}

impl Pusher {
    pub(super) fn new(
        config: &ExportConfig,
        shared: Arc<Shared>,
        notices: Notices,
        start_ns: u64,
    ) -> Pusher {
        let mut targets = Vec::new();
        if let Some(url) = &config.prometheus_write {
            targets.push(Target::RemoteWrite(url.clone()));
        }
        if let Some(otlp) = &config.otlp {
            targets.push(Target::Otlp(otlp.clone()));
        }
        *shared
            .outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = targets
            .iter()
            .map(|t| PushOutcome {
                target: t.name(),
                ..PushOutcome::default()
            })
            .collect();
        Pusher {
            run_id: config.run_id.clone(),
            interval: config.interval,
            targets,
            shared,
            notices,
            start_ns,
        }
    }

    /// Pushes until the final snapshot is pushed.
    pub(super) fn run(self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            self.finish();
            return;
        };
        let client = Client::new(ClientConfig {
            timeout: Some(PUSH_TIMEOUT.min(self.interval.max(Duration::from_secs(1)))),
            max_body: MAX_ANSWER,
            follow_redirects: false,
            ..ClientConfig::default()
        });
        let mut next = Instant::now() + self.interval;
        loop {
            let (source, last) = {
                let latest = self
                    .shared
                    .latest
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let wait = next.saturating_duration_since(Instant::now());
                let (mut latest, _) = self
                    .shared
                    .changed
                    .wait_timeout_while(latest, wait, |l| !l.last)
                    .unwrap_or_else(PoisonError::into_inner);
                (latest.source.take(), latest.last)
            };
            next = Instant::now() + self.interval;
            if let Some(source) = source {
                let deadline = last.then(|| Instant::now() + FINAL_WAIT);
                runtime.block_on(self.push(&client, &source, deadline));
            }
            if last {
                break;
            }
        }
        self.finish();
    }

    fn finish(&self) {
        self.shared
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .done = true;
        self.shared.changed.notify_all();
    }

    /// One push of `source` to every target.
    async fn push(&self, client: &Client, source: &Source, deadline: Option<Instant>) {
        let sources = std::slice::from_ref(source);
        let families = families(sources);
        let now = SystemTime::now();
        for (index, target) in self.targets.iter().enumerate() {
            let request = match target {
                Target::RemoteWrite(url) => {
                    let common = prometheus::Common {
                        run_id: &self.run_id,
                        sources,
                    };
                    let ms = i64::try_from(unix_nanos(now) / 1_000_000).unwrap_or(i64::MAX);
                    let body = prometheus::remote_write(&families, &common, ms);
                    request(
                        url,
                        body,
                        &[
                            ("content-encoding", "snappy"),
                            ("content-type", "application/x-protobuf"),
                            ("x-prometheus-remote-write-version", "0.1.0"),
                        ],
                    )
                }
                Target::Otlp(otlp) => {
                    let resources = otlp::Resources {
                        run_id: &self.run_id,
                        service: &otlp.service,
                        attributes: &otlp.attributes,
                    };
                    let times = otlp::Times {
                        start_ns: self.start_ns,
                        now_ns: unix_nanos(now),
                    };
                    let body = otlp::request(&families, sources, &resources, times);
                    let mut request = request(
                        &otlp.url,
                        body,
                        &[("content-type", "application/x-protobuf")],
                    );
                    for (name, value) in &otlp.headers {
                        if let (Ok(n), Ok(v)) = (
                            HeaderName::try_from(name.as_str()),
                            HeaderValue::try_from(value.as_str()),
                        ) {
                            request.headers.insert(n, v);
                        }
                    }
                    request
                }
            };
            let mut request = request;
            if let Some(deadline) = deadline {
                request.timeout = Some(deadline.saturating_duration_since(Instant::now()));
            }
            let result = match client.send(&request).await {
                Ok(response) if response.status().is_success() => Ok(()),
                Ok(response) => {
                    let body = String::from_utf8_lossy(response.body());
                    let line = body.lines().next().unwrap_or("").chars().take(200);
                    Err(format!(
                        "HTTP {} {}",
                        response.status().as_u16(),
                        line.collect::<String>()
                    )
                    .trim_end()
                    .to_owned())
                }
                Err(e) => Err(e.to_string()),
            };
            self.count(index, target, result);
        }
    }

    fn count(&self, index: usize, target: &Target, result: Result<(), String>) {
        let mut outcomes = self
            .shared
            .outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(outcome) = outcomes.get_mut(index) else {
            return;
        };
        outcome.pushes += 1;
        if let Err(error) = result {
            if outcome.failed == 0 {
                super::warn(
                    &self.notices,
                    format!(
                        "warning: cannot push metrics to {}: {error} (counted; the run goes on)",
                        target.name()
                    ),
                );
            }
            outcome.failed += 1;
            outcome.last_error = Some(error);
        }
    }
}

fn request(url: &url::Url, body: Vec<u8>, headers: &[(&'static str, &'static str)]) -> Request {
    let mut request = Request::new(Method::POST, url.clone());
    request.body = Bytes::from(body);
    for (name, value) in headers {
        request.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    request
}
