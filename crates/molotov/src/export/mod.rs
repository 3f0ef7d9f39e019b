//! `--prometheus-write`, `--prometheus-listen`, `--otlp`: the run's metrics for Prometheus
//! and OpenTelemetry, from each process that runs workers.
//!
//! The engine hands its sinks a snapshot of the process's statistics each second and once at
//! the end ([`molotov_core::Sink`]); [`Exporter`] is such a sink, and costs the workers
//! nothing but the snapshot: it keeps the latest, and a thread of its own encodes and pushes
//! it every `--export-interval` seconds (`push`), and once more with the final figures when
//! the run ends (waiting at most [`FINAL_WAIT`] for it). An endpoint that is down, slow or
//! failing costs a warning line and a count of failed pushes in the summary. `/metrics` is
//! served by `listen`; in a `-p` run, by the parent, from the snapshots its processes send.
//!
//! `metrics` turns snapshots into families of series; `prometheus` and `otlp` encode them.

mod listen;
pub(crate) mod metrics;
mod otlp;
mod prometheus;
mod push;

use std::fmt::Write as _;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use molotov_core::{Notice, Notices, Progress, Sink, Snapshot};
use serde::{Deserialize, Serialize};

pub(crate) use listen::MetricsListener;
use metrics::{Arrivals, Source};

use crate::arrivals::RateMeter;

/// How long the end of a run waits for the final push (a slow endpoint does not hold the
/// run longer).
pub(crate) const FINAL_WAIT: Duration = Duration::from_secs(3);

/// What `--prometheus-write`, `--prometheus-listen`, `--otlp` and their options ask for,
/// validated.
#[derive(Debug, Clone)]
pub(crate) struct ExportConfig {
    /// Every series' `run_id` label.
    pub(crate) run_id: String,
    /// Whether the run id was made up (and should be printed).
    pub(crate) run_id_made: bool,
    pub(crate) interval: Duration,
    pub(crate) prometheus_write: Option<url::Url>,
    pub(crate) listen: Option<std::net::SocketAddr>,
    pub(crate) otlp: Option<Otlp>,
    /// Whether the run is in the open model (the rate series are exported).
    pub(crate) open: bool,
}

/// Where OTLP goes and what it says about the process.
#[derive(Debug, Clone)]
pub(crate) struct Otlp {
    pub(crate) url: url::Url,
    /// `OTEL_EXPORTER_OTLP_HEADERS` (or `..._METRICS_HEADERS`).
    pub(crate) headers: Vec<(String, String)>,
    /// `OTEL_SERVICE_NAME`, else `molotov`.
    pub(crate) service: String,
    /// `OTEL_RESOURCE_ATTRIBUTES`.
    pub(crate) attributes: Vec<(String, String)>,
}

impl ExportConfig {
    /// The config of `options`, with the environment's `OTEL_*` variables (`env` reads them
    /// for one name); `None` when no exporter is asked for.
    pub(crate) fn new(
        options: &crate::ExportOptions,
        open: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ExportConfig>, String> {
        if !options.any() {
            return Ok(None);
        }
        let otlp = match options.otlp.as_deref() {
            None => None,
            Some(given) => Some(Otlp::new(given, &env)?),
        };
        let (run_id, run_id_made) = match &options.run_id {
            Some(id) => (id.clone(), false),
            None => (made_up_run_id(), true),
        };
        Ok(Some(ExportConfig {
            run_id,
            run_id_made,
            interval: Duration::from_secs_f64(options.export_interval.clamp(0.01, 86_400.0)),
            prometheus_write: options.prometheus_write.clone(),
            listen: options.prometheus_listen,
            otlp,
            open,
        }))
    }

    /// Whether something is pushed (rather than only served).
    pub(crate) fn pushes(&self) -> bool {
        self.prometheus_write.is_some() || self.otlp.is_some()
    }
}

impl Otlp {
    fn new(given: &str, env: &impl Fn(&str) -> Option<String>) -> Result<Otlp, String> {
        let nonempty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        // The signal's own endpoint is used as it is; the general one gets the signal's path.
        let (text, as_is) = if given == "env" {
            match (
                nonempty("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
                nonempty("OTEL_EXPORTER_OTLP_ENDPOINT"),
            ) {
                (Some(url), _) => (url, true),
                (None, Some(url)) => (url, false),
                (None, None) => ("http://localhost:4318".to_owned(), false),
            }
        } else {
            (given.to_owned(), false)
        };
        let mut url = crate::args::parse_push_url(text.trim())?;
        if !as_is && matches!(url.path(), "" | "/") {
            url.set_path("/v1/metrics");
        }
        let headers = nonempty("OTEL_EXPORTER_OTLP_METRICS_HEADERS")
            .or_else(|| nonempty("OTEL_EXPORTER_OTLP_HEADERS"))
            .map(|h| otlp::resource_attributes(&h))
            .unwrap_or_default();
        Ok(Otlp {
            url,
            headers,
            service: nonempty("OTEL_SERVICE_NAME").unwrap_or_else(|| "molotov".to_owned()),
            attributes: nonempty("OTEL_RESOURCE_ATTRIBUTES")
                .map(|a| otlp::resource_attributes(&a))
                .unwrap_or_default(),
        })
    }
}

/// A run id nobody gave: the time and the process, in hex (`19b1f2e3a4c-5e1f`).
fn made_up_run_id() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}-{:x}", now.as_millis(), std::process::id() & 0xffff)
}

/// This process's `instance` label: its host and process id.
pub(crate) fn instance(pid: u32) -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{pid}")
}

/// How the pushes to one endpoint went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PushOutcome {
    /// What was pushed to, as the summary names it (`remote write http://...`).
    pub(crate) target: String,
    pub(crate) pushes: u64,
    pub(crate) failed: u64,
    /// Why the last failed push failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_error: Option<String>,
}

impl PushOutcome {
    /// Adds another process's pushes to the same target.
    pub(crate) fn absorb(outcomes: &mut Vec<PushOutcome>, other: &[PushOutcome]) {
        for o in other {
            match outcomes.iter_mut().find(|m| m.target == o.target) {
                Some(m) => {
                    m.pushes += o.pushes;
                    m.failed += o.failed;
                    if o.last_error.is_some() {
                        m.last_error.clone_from(&o.last_error);
                    }
                }
                None => outcomes.push(o.clone()),
            }
        }
    }
}

/// The line printed before the run: the run id, and where `/metrics` is served.
pub(crate) fn announce(config: &ExportConfig, listen: Option<std::net::SocketAddr>) -> String {
    let mut line = format!("Metrics: run_id {}", config.run_id);
    if config.run_id_made {
        line += " (made up; --run-id gives one)";
    }
    if let Some(address) = listen {
        let _ = write!(line, ", served on http://{address}/metrics");
    }
    line
}

/// The summary's lines about the exported metrics: the run id, and per endpoint its pushes
/// and how many failed.
pub(crate) fn summary(config: &ExportConfig, outcomes: &[PushOutcome]) -> String {
    let mut out = format!("Metrics: run_id {}\n", config.run_id);
    for o in outcomes {
        let _ = write!(
            out,
            "  {}: {} pushes, {} failed",
            o.target, o.pushes, o.failed
        );
        if let Some(e) = &o.last_error {
            let _ = write!(out, " (last: {e})");
        }
        out.push('\n');
    }
    out
}

/// Adds the exporter of this process to `runner` when `settings` ask for one: it pushes, and
/// serves `/metrics` on `listener` when given (a process running alone; in a `-p` run the
/// parent serves it). Returned, to read how the pushes went once the run ended.
pub(crate) fn attach(
    runner: &mut molotov_core::Runner,
    settings: &crate::Settings,
    listener: Option<MetricsListener>,
) -> Option<std::rc::Rc<Exporter>> {
    let config = settings.export.clone()?;
    let listener = listener.and_then(MetricsListener::serving);
    if !config.pushes() && listener.is_none() {
        return None;
    }
    let exporter = std::rc::Rc::new(Exporter::new(config, runner.notices(), listener));
    runner.add_sink(exporter.clone());
    Some(exporter)
}

/// The snapshot the thread pushes next, and whether the run ended.
#[derive(Default)]
struct Latest {
    source: Option<Source>,
    /// The final figures are in `source`: push them, then stop.
    last: bool,
    /// The thread pushed the final figures (or gave up).
    done: bool,
}

struct Shared {
    latest: Mutex<Latest>,
    changed: Condvar,
    outcomes: Mutex<Vec<PushOutcome>>,
}

/// The sink that exports a process's metrics (see the module's documentation).
pub(crate) struct Exporter {
    config: ExportConfig,
    instance: String,
    shared: Arc<Shared>,
    notices: Notices,
    /// The pushing thread, started with the first snapshot (after any fork).
    thread: Mutex<Option<JoinHandle<()>>>,
    /// `/metrics`, when this process serves it.
    listener: Option<MetricsListener>,
    /// Since the epoch, when counting started (OTLP's start time).
    start_ns: u64,
    /// The open model's achieved rate, over the last second.
    meter: Mutex<RateMeter>,
}

impl Exporter {
    /// An exporter for this process; `listener` when it also serves `/metrics`.
    pub(crate) fn new(
        config: ExportConfig,
        notices: Notices,
        listener: Option<MetricsListener>,
    ) -> Exporter {
        Exporter {
            config,
            instance: instance(std::process::id()),
            shared: Arc::new(Shared {
                latest: Mutex::new(Latest::default()),
                changed: Condvar::new(),
                outcomes: Mutex::new(Vec::new()),
            }),
            notices,
            thread: Mutex::new(None),
            listener,
            start_ns: unix_nanos(SystemTime::now()),
            meter: Mutex::new(RateMeter::default()),
        }
    }

    /// How the pushes went so far (all of them, once the run ended).
    pub(crate) fn outcomes(&self) -> Vec<PushOutcome> {
        self.shared
            .outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn source(&self, snapshot: &Snapshot<'_>) -> Source {
        let progress: &Progress = snapshot.progress;
        let runs: u64 = snapshot
            .report
            .scenarios
            .values()
            .map(|e| e.successes + e.failures)
            .sum();
        Source {
            instance: self.instance.clone(),
            report: snapshot.report.clone(),
            workers: progress.workers(),
            generator_busy: progress.generator_busy(),
            arrivals: self.config.open.then(|| Arrivals {
                target_rate: progress.target_rate(),
                achieved_rate: self
                    .meter
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .update(snapshot.elapsed, runs),
                late: progress.late_runs(),
                dropped: progress.dropped_runs(),
            }),
        }
    }

    fn store(&self, source: Source, last: bool) {
        if let Some(listener) = &self.listener {
            listener.publish(std::slice::from_ref(&source), &self.config.run_id);
        }
        if !self.config.pushes() {
            return;
        }
        {
            let mut latest = self
                .shared
                .latest
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            latest.source = Some(source);
            latest.last |= last;
        }
        self.shared.changed.notify_all();
        let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
        if thread.is_none() {
            let pusher = push::Pusher::new(
                &self.config,
                self.shared.clone(),
                self.notices.clone(),
                self.start_ns,
            );
            *thread = std::thread::Builder::new()
                .name("molotov-export".into())
                .spawn(move || pusher.run())
                .ok();
        }
    }
}

impl Sink for Exporter {
    fn wants_records(&self) -> bool {
        false
    }

    fn wants_snapshots(&self) -> bool {
        true
    }

    fn snapshot(&self, snapshot: &Snapshot<'_>) {
        self.store(self.source(snapshot), false);
    }

    fn finish(&self, snapshot: &Snapshot<'_>) {
        let source = Source {
            // Nobody runs any more.
            workers: 0,
            ..self.source(snapshot)
        };
        self.store(source, true);
        if !self.config.pushes() {
            return;
        }
        let latest = self
            .shared
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (latest, timeout) = self
            .shared
            .changed
            .wait_timeout_while(latest, FINAL_WAIT, |l| !l.done)
            .unwrap_or_else(PoisonError::into_inner);
        drop(latest);
        if timeout.timed_out() {
            // The thread is stuck in a push: it is left behind (the process ends soon).
            let mut outcomes = self
                .shared
                .outcomes
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for o in outcomes.iter_mut() {
                o.pushes += 1;
                o.failed += 1;
                o.last_error = Some(format!(
                    "the final push did not end within {}s",
                    FINAL_WAIT.as_secs()
                ));
            }
        } else if let Some(thread) = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = thread.join();
        }
    }
}

fn unix_nanos(t: SystemTime) -> u64 {
    let nanos = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

/// A warning line on the console.
fn warn(notices: &Notices, text: String) {
    notices.send(Notice::Warning(text));
}

#[cfg(test)]
mod tests;
