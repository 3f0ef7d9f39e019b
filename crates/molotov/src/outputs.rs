//! What a run writes and serves besides the console: `--json`, `--junit`, `--html` (files
//! created before the run, so a path that cannot be written is a usage error before any load
//! is sent), `--web` (bound before the run too), and the thresholds: the watch that evaluates
//! them live and feeds the live page, and their final verdicts.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use molotov_core::stats::Report;
use molotov_core::{Progress, Shutdown, Summary};

use crate::percentiles::Percentiles;
use crate::report::live::LivePage;
use crate::report::{self, PageInput};
use crate::results::{self, ResultsFile};
use crate::settings::Settings;
use crate::threshold::{Observed, ThresholdWatch, Verdict};

/// The outputs of a run, opened.
pub(crate) struct Outputs {
    pub(crate) json: Option<ResultsFile>,
    junit: Option<(PathBuf, File)>,
    html: Option<(PathBuf, File)>,
    web: Option<LivePage>,
    /// `--prometheus-listen`'s server, until the process that serves it takes it.
    metrics: Option<crate::export::MetricsListener>,
    /// The hash of the test's plan.
    plan: String,
}

fn create(path: &PathBuf, what: &str) -> anyhow::Result<(PathBuf, File)> {
    let file = File::create(path)
        .with_context(|| format!("cannot write the {what} to {}", path.display()))?;
    Ok((path.clone(), file))
}

impl Outputs {
    /// Creates the files and binds the live page's address. `plan`: the hash of the test's
    /// plan, which the results carry.
    pub(crate) fn open(settings: &Settings, plan: String) -> anyhow::Result<Outputs> {
        let json = match &settings.json {
            Some(path) => Some(
                results::create(path)
                    .with_context(|| format!("cannot write the results to {}", path.display()))?,
            ),
            None => None,
        };
        let junit = settings
            .junit
            .as_ref()
            .map(|p| create(p, "JUnit report"))
            .transpose()?;
        let html = settings
            .html
            .as_ref()
            .map(|p| create(p, "HTML report"))
            .transpose()?;
        let web = match settings.web {
            Some(address) => {
                let first = live_data(settings, &Report::default(), Duration::ZERO, &[], None);
                let page = LivePage::bind(address, &first)
                    .with_context(|| format!("cannot serve the live page on {address}"))?;
                Some(page)
            }
            None => None,
        };
        let metrics = match settings.export.as_ref().and_then(|e| e.listen) {
            Some(address) => Some(
                crate::export::MetricsListener::bind(address)
                    .with_context(|| format!("cannot serve /metrics on {address}"))?,
            ),
            None => None,
        };
        Ok(Outputs {
            json,
            junit,
            html,
            web,
            metrics,
            plan,
        })
    }

    /// Where the live page listens, to tell the user.
    pub(crate) fn web_address(&self) -> Option<std::net::SocketAddr> {
        self.web.as_ref().map(LivePage::address)
    }

    /// Where `/metrics` is served, to tell the user.
    pub(crate) fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics
            .as_ref()
            .map(crate::export::MetricsListener::address)
    }

    /// `--prometheus-listen`'s server, for the process that serves it.
    pub(crate) fn take_metrics(&mut self) -> Option<crate::export::MetricsListener> {
        self.metrics.take()
    }

    /// Starts the live watch (thresholds every 2 s, the live page every second) if there is
    /// anything to watch.
    pub(crate) fn watch(
        &mut self,
        settings: &Settings,
        progress: &Arc<Progress>,
        shutdown: &Shutdown,
    ) -> Option<ThresholdWatch> {
        if let Some(page) = &mut self.web {
            // Without its thread the page cannot be seen, but the run is worth more.
            if let Err(e) = page.serve() {
                crate::display::eprint_line(&format!("warning: the live page is not served: {e}"));
            }
        }
        if settings.thresholds.is_empty() && self.web.is_none() {
            return None;
        }
        let publish = self.web.as_ref().map(|page| {
            let page = page.publisher();
            let settings = settings.clone();
            let progress = progress.clone();
            Box::new(
                move |report: &Report, elapsed: Duration, verdicts: &[Verdict]| {
                    // Nobody looking, nothing to make.
                    if page.is_watched() {
                        let data = live_data(&settings, report, elapsed, verdicts, Some(&progress));
                        page.publish(&data);
                    }
                },
            ) as crate::threshold::Publish
        });
        ThresholdWatch::start(
            settings.thresholds.clone(),
            progress.clone(),
            shutdown.clone(),
            publish,
        )
        .ok()
    }

    /// Writes every output of the finished run. Returns, with `--results-stdout`, the results
    /// between their marker lines, to print after the summary (whatever else failed: a shard's
    /// results must reach its log), and the first error line, when a file could not be
    /// written.
    pub(crate) fn write(
        mut self,
        summary: &Summary,
        processes: usize,
        sizing: Option<&crate::sizing::SizingOutcome>,
        verdicts: &[Verdict],
        settings: &Settings,
    ) -> (Option<String>, Option<String>) {
        let meta = Meta {
            title: &title(settings),
            command: &settings.command,
            plan: Some(&self.plan),
        };
        let written = results::Written {
            processes,
            sizing,
            percentiles: &settings.percentiles,
            verdicts,
            shard: settings.shard,
            plan: Some(&self.plan),
            one_line: false,
        };
        let mut first_error = None;
        let mut printed = None;
        if self.json.is_some() || settings.results_stdout {
            match results::render(summary, &written) {
                Ok(text) => {
                    if let Some(file) = self.json.take() {
                        let shown = file.path().display().to_string();
                        if let Err(e) = file.write(&text) {
                            first_error.get_or_insert(format!(
                                "error: cannot write the results to {shown}: {e}"
                            ));
                        }
                    }
                    if settings.results_stdout {
                        let line = results::Written {
                            one_line: true,
                            ..written
                        };
                        printed = results::render(summary, &line)
                            .ok()
                            .map(|t| crate::merge::marked(&t));
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(format!("error: cannot write the results: {e}"));
                }
            }
        }
        if let Some((path, file)) = self.junit.take() {
            let xml = crate::junit::render(&summary.report, verdicts, summary.elapsed, meta.title);
            if let Err(e) = write_to(file, &xml, &path, "JUnit report") {
                first_error.get_or_insert(e);
            }
        }
        if self.html.is_some() || self.web.is_some() {
            let data = final_data(summary, processes, verdicts, &meta);
            if let Some((path, file)) = self.html.take() {
                if let Err(e) = write_to(file, &report::page(&data), &path, "HTML report") {
                    first_error.get_or_insert(e);
                }
            }
            if let Some(web) = self.web.take() {
                web.finish(&data);
            }
        }
        (printed, first_error)
    }
}

/// Where `molotov-report` writes its outputs.
pub(crate) struct Files<'a> {
    pub(crate) json: Option<&'a Path>,
    pub(crate) junit: Option<&'a Path>,
    pub(crate) html: Option<&'a Path>,
}

/// What reports say the run was.
pub(crate) struct Meta<'a> {
    /// The script or URL tested.
    pub(crate) title: &'a str,
    pub(crate) command: &'a str,
    /// The plan's hash, when known.
    pub(crate) plan: Option<&'a str>,
}

/// Writes the outputs `files` names, for results merged after the fact (`molotov-report`).
pub(crate) fn write_files(
    summary: &Summary,
    processes: usize,
    verdicts: &[Verdict],
    percentiles: &Percentiles,
    files: &Files<'_>,
    meta: &Meta<'_>,
) -> Result<(), String> {
    let create = |path: &Path, what: &str| {
        File::create(path)
            .map_err(|e| format!("error: cannot write the {what} to {}: {e}", path.display()))
    };
    if let Some(path) = files.json {
        let written = results::Written {
            processes,
            sizing: None,
            percentiles,
            verdicts,
            shard: None,
            plan: meta.plan,
            one_line: false,
        };
        let text = results::render(summary, &written)
            .map_err(|e| format!("error: cannot write the results: {e}"))?;
        write_to(create(path, "results")?, &text, path, "results")?;
    }
    if let Some(path) = files.junit {
        let xml = crate::junit::render(&summary.report, verdicts, summary.elapsed, meta.title);
        write_to(create(path, "JUnit report")?, &xml, path, "JUnit report")?;
    }
    if let Some(path) = files.html {
        let data = final_data(summary, processes, verdicts, meta);
        write_to(
            create(path, "HTML report")?,
            &report::page(&data),
            path,
            "HTML report",
        )?;
    }
    Ok(())
}

fn write_to(mut file: File, text: &str, path: &Path, what: &str) -> Result<(), String> {
    file.write_all(text.as_bytes())
        .map_err(|e| format!("error: cannot write the {what} to {}: {e}", path.display()))
}

/// The thresholds' verdicts on the finished run.
pub(crate) fn verdicts(summary: &Summary, settings: &Settings) -> Vec<Verdict> {
    settings.thresholds.evaluate(&Observed::summary(summary))
}

fn title(settings: &Settings) -> String {
    settings
        .url
        .as_ref()
        .map_or_else(|| settings.script.clone(), crate::url_test::UrlTest::name)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn live_data(
    settings: &Settings,
    report: &Report,
    elapsed: Duration,
    verdicts: &[Verdict],
    progress: Option<&Arc<Progress>>,
) -> serde_json::Value {
    let figures = progress.and_then(|p| p.latest_figures());
    report::data(&PageInput {
        live: true,
        title: &title(settings),
        command: &settings.command,
        started_at: now() - elapsed.as_secs_f64(),
        finished_at: None,
        elapsed,
        processes: settings.processes,
        workers: progress.map_or(0, |p| p.workers()),
        max_workers: progress.map_or(0, |p| p.max_workers()),
        stop: None,
        seed: settings.run.seed,
        arrivals: figures.as_ref().and_then(|f| f.arrivals.as_ref()),
        generator: figures.as_ref().and_then(|f| f.generator.as_ref()),
        report,
        verdicts,
    })
}

fn final_data(
    summary: &Summary,
    processes: usize,
    verdicts: &[Verdict],
    meta: &Meta<'_>,
) -> serde_json::Value {
    let started = summary.started_at.map_or_else(
        || now() - summary.elapsed.as_secs_f64(),
        results::unix_seconds,
    );
    report::data(&PageInput {
        live: false,
        title: meta.title,
        command: meta.command,
        started_at: started,
        finished_at: Some(started + summary.elapsed.as_secs_f64()),
        elapsed: summary.elapsed,
        processes,
        workers: summary.max_workers,
        max_workers: summary.max_workers,
        stop: summary.stop.map(molotov_core::StopCause::name),
        seed: Some(summary.seed),
        arrivals: summary.arrivals.as_ref(),
        generator: summary.generator.as_ref(),
        report: &summary.report,
        verdicts,
    })
}
