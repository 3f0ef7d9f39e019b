//! The edge: command line → settings → plan → run → console, summary, results file, exit code.
//!
//! Everything before the run is validated first, so a mistake costs one clear `error:` line
//! and exit code 2 before any load is sent.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use molotov_core::{Plan, Runner, Shutdown, Summary};

use crate::args::Args;
use crate::config_file;
use crate::display::{Display, Seized, eprint_line};
use crate::exit::ExitStatus;
use crate::limits;
use crate::outputs::{self, Outputs};
use crate::panics::QuietPanics;
use crate::process::{self, Forked};
use crate::render;
use crate::runtime;
use crate::settings::{Output, Settings};
use crate::shard;
use crate::signal;
use crate::sizing::{SizingOutcome, SizingWatch};
use crate::statsd::{STATSD_VAR, Statsd, StatsdSink};
use crate::threshold::{ThresholdWatch, Verdict};

/// The script Molotov runs when none is named.
const DEFAULT_SCRIPT: &str = "loadtest.py";

/// What `molotov` alone prints (when there is no `loadtest.py` to run either).
const USAGE: &str = "\
usage: molotov [options] SCRIPT   run the scenarios of a Molotov script
       molotov [options] URL      load one URL with one scenario

examples:
  molotov -w 10 -d 30 loadtest.py              10 workers for 30 seconds
  molotov -w 50 -d 10 http://127.0.0.1:8080/   the latency of one URL under load

molotov --help lists every option.";

/// Who drives the command line; decides what the script argument and the Python-only options
/// mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// A Rust load test: the scenarios are compiled in.
    Rust,
    /// The Python package: the loader imports the script and extensions.
    Python,
    /// The `molotov` binary of this crate: no script host, URLs only (`molotov URL`).
    Urls,
}

/// Runs a Rust load test with the process's command line: `fn main() -> ExitCode {
/// molotov::main(plan) }`.
pub fn main(plan: Plan) -> ExitCode {
    run_with_loader(std::env::args_os(), Host::Rust, move |_| Ok(plan)).into()
}

/// Runs molotov with `argv` (program name first); `load` builds the plan once the options are
/// known (the Python package imports the script there).
pub fn run_with_loader<I, T, L>(argv: I, host: Host, load: L) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    run_with_hooks(argv, host, &HostHooks::default(), load)
}

/// What a host embedding molotov (the Python package) supplies.
#[derive(Clone, Default)]
pub struct HostHooks {
    /// Called each time the engine's thread is about to sleep (no task ready). A host that
    /// holds a lock while the engine runs (the Python adapter holds the GIL) releases it here,
    /// so other threads get it whenever the engine waits.
    pub before_park: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called when it wakes up; always paired with `before_park`.
    pub after_unpark: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Starts a worker process for `-p` (the default forks the process as it is; Python
    /// forks through `os.fork` to keep the interpreter consistent).
    pub fork: Option<Arc<dyn Fn() -> std::io::Result<Forked> + Send + Sync>>,
    /// Sets an environment variable for the load test (`--config`'s `"env"`), before it is
    /// loaded; Python sets `os.environ`, so the interpreter's copy agrees.
    pub set_env: Option<SetEnv>,
    /// Writes out what the host buffers of the load test's output (Python's `sys.stdout`), so
    /// that a last print without a newline is shown before the summary, not after it.
    pub flush_output: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// How a host sets an environment variable: `(name, value)`.
pub type SetEnv = Arc<dyn Fn(&str, &str) + Send + Sync>;

impl HostHooks {
    #[allow(
        unsafe_code,
        reason = "setting the environment is unsafe once threads run; it is done before the \
                  run starts any thread of its own"
    )]
    pub(crate) fn set_env(&self, name: &str, value: &str) {
        match &self.set_env {
            Some(set) => set(name, value),
            // SAFETY: called while the options are applied, before the load test is loaded and
            // before molotov starts its runtime, console, signal or process threads.
            None => unsafe { std::env::set_var(name, value) },
        }
    }

    /// Writes out the host's buffered output, then Rust's.
    pub(crate) fn flush_output(&self) {
        if let Some(flush) = &self.flush_output {
            flush();
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let _ = std::io::Write::flush(&mut std::io::stderr());
    }

    pub(crate) fn fork(&self) -> std::io::Result<Forked> {
        match &self.fork {
            Some(fork) => fork(),
            None => process::fork(),
        }
    }

    /// Runs `wait` (a blocking wait) with the host's lock released.
    pub(crate) fn parked<T>(&self, wait: impl FnOnce() -> T) -> T {
        if let Some(f) = &self.before_park {
            f();
        }
        let result = wait();
        if let Some(f) = &self.after_unpark {
            f();
        }
        result
    }
}

/// [`run_with_loader`] with hooks around the engine thread's sleeps.
pub fn run_with_hooks<I, T, L>(argv: I, host: Host, hooks: &HostHooks, load: L) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let scripted = host == Host::Python && Path::new(DEFAULT_SCRIPT).exists();
    if host != Host::Rust && argv.len() <= 1 && !scripted {
        eprint_line(USAGE);
        return ExitStatus::Usage;
    }
    let settings = match settings(argv) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    for (name, value) in &settings.env {
        hooks.set_env(name, value);
    }
    // Before the load test is loaded: what it opens counts against the raised limit.
    let open_files = limits::raise_open_files();
    let prepared = prepare(&settings, host, load).and_then(|runner| {
        let names = runner.scenario_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        settings.thresholds.check_scenarios(&names)?;
        // Files that cannot be written, a port in use, are found out now, not after the run.
        let plan = shard::plan_hash(&runner.scenario_weights(), &settings.args);
        Ok((runner, Outputs::open(&settings, plan)?))
    });
    match prepared {
        Ok((runner, outputs)) => {
            warn_open_files(&settings, open_files);
            if settings.output != Output::Quiet {
                if let Some(address) = outputs.web_address() {
                    eprint_line(&format!("Live report: http://{address}/"));
                }
                if let Some(export) = &settings.export {
                    eprint_line(&crate::export::announce(export, outputs.metrics_address()));
                }
            }
            if settings.processes > 1 {
                process::run(runner, &settings, outputs, hooks)
            } else {
                run(runner, &settings, outputs, hooks)
            }
        }
        Err(e) => {
            eprint_line(&format!("error: {e:#}"));
            ExitStatus::Usage
        }
    }
}

/// Warns, once and before the load starts, when the workers of one process need more files
/// than its open-file `limit` (see [`limits`]). Not with `-q`, which prints nothing.
fn warn_open_files(settings: &Settings, limit: Option<u64>) {
    if settings.output == Output::Quiet {
        return;
    }
    let workers = settings.run.workers.get();
    if let Some(line) = limit.and_then(|l| limits::warning(workers, settings.processes, l)) {
        eprint_line(&line);
    }
}

/// Parses and validates; prints help, the version or one error line.
fn settings<I, T>(argv: I) -> Result<Settings, ExitStatus>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut parsed = match Args::parse_from_argv(argv) {
        Ok(parsed) => parsed,
        Err(e) => return Err(clap_exit(&e)),
    };
    let result = (|| -> anyhow::Result<Settings> {
        if let Some(path) = parsed.args.config.clone() {
            config_file::apply(&mut parsed, &path)?;
        }
        Ok(Settings::from_parsed(parsed)?)
    })();
    result.map_err(|e| {
        eprint_line(&format!("error: {e:#}"));
        ExitStatus::Usage
    })
}

/// Help and version printed (exit 0), or clap's first line (exit 2): for `molotov` and
/// `molotov-report` alike.
pub(crate) fn clap_exit(e: &clap::Error) -> ExitStatus {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitStatus::Success;
    }
    // One line: clap's first line names the option and what is wrong with its value.
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("error: invalid arguments");
    eprint_line(&format!("{first} (see --help)"));
    ExitStatus::Usage
}

/// Checks what this host supports, loads the plan and validates it.
fn prepare<L>(settings: &Settings, host: Host, load: L) -> anyhow::Result<Runner>
where
    L: FnOnce(&Settings) -> anyhow::Result<Plan>,
{
    if host == Host::Rust && settings.output != Output::Quiet {
        let script_given = settings.is_explicit("scenario") && settings.url.is_none();
        for (given, what) in [
            (script_given, "the scenario argument"),
            (settings.uvloop, "--uvloop"),
            (settings.debug, "--debug"),
            (!settings.extensions.is_empty(), "--use-extension"),
        ] {
            if given {
                eprint_line(&format!(
                    "warning: {what} is for Python scripts; this load test's scenarios are compiled in, so it is ignored"
                ));
            }
        }
    }
    let plan = match &settings.url {
        Some(url) => url.plan(),
        None if host == Host::Urls => anyhow::bail!(
            "{:?} is not a URL: this molotov loads URLs (molotov http://host/path); Molotov \
             scripts run with the Python package (pip install .)",
            settings.script
        ),
        None => load(settings)?,
    };
    let mut runner =
        Runner::new(plan, settings.run.clone()).context("cannot start the load test")?;
    runner.measure_busy(crate::schedstat::thread_clock());
    if let Some(address) = &settings.statsd {
        // One socket, made before any fork: each process sends its own datagrams on it.
        let client = Statsd::connect(address)
            .with_context(|| format!("cannot send metrics to {}", address.given))?;
        runner.vars().set(STATSD_VAR, client.clone());
        runner.add_sink(std::rc::Rc::new(StatsdSink::new(client)));
    }
    Ok(runner)
}

fn run(
    mut runner: Runner,
    settings: &Settings,
    mut outputs: Outputs,
    hooks: &HostHooks,
) -> ExitStatus {
    let runtime = match runtime::build(hooks) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprint_line(&format!("error: cannot start the async runtime: {e}"));
            return ExitStatus::Usage;
        }
    };
    let shutdown = Shutdown::new();
    let seized = Seized::take(settings);
    let exporter = crate::export::attach(&mut runner, settings, outputs.take_metrics());
    let live = outputs.watch(settings, &runner.progress(), &shutdown);
    let verdicts = live.as_ref().map(ThresholdWatch::verdicts);
    let display = Display::start(seized, &mut runner, settings, &shutdown, verdicts);
    // Without the watcher a signal ends the process at once, as it would without molotov.
    let watcher = signal::watch(shutdown.clone()).ok();
    let sizing = settings.sizing.and_then(|tolerance| {
        SizingWatch::start(runner.progress(), shutdown.clone(), tolerance).ok()
    });
    let hook = QuietPanics::install();
    let result = runtime.block_on(runner.run(shutdown.clone()));
    drop(watcher);
    drop(hook);
    let sizing = sizing.map(SizingWatch::finish);
    let aborted_by = live.and_then(ThresholdWatch::finish);
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            display.finish(String::new());
            eprint_line(&format!("error: {e}"));
            return ExitStatus::FixtureFailed;
        }
    };
    hooks.flush_output();
    let pushes = exporter.map(|e| e.outcomes()).unwrap_or_default();
    let outcome = Watched {
        sizing,
        aborted_by,
        exported: pushes,
    };
    conclude(&summary, 1, &outcome, outputs, display, settings)
}

/// What the watches beside the run found.
pub(crate) struct Watched {
    pub(crate) sizing: Option<SizingOutcome>,
    /// The `abort` threshold that stopped the run, if one did.
    pub(crate) aborted_by: Option<Verdict>,
    /// How the pushes of the exported metrics went, per endpoint (all processes').
    pub(crate) exported: Vec<crate::export::PushOutcome>,
}

/// The end of a run in `processes` processes (one, many, or none when `-p` was interrupted
/// before forking): the results file first (it must not depend on anyone reading stdout),
/// then the summary on the console, then the exit code.
pub(crate) fn conclude(
    summary: &Summary,
    processes: usize,
    watched: &Watched,
    outputs: Outputs,
    display: Display,
    settings: &Settings,
) -> ExitStatus {
    let mut verdicts = outputs::verdicts(summary, settings);
    if let Some(failed) = &watched.aborted_by {
        // It failed while the run lasted, and stopped it: that is its verdict, whatever the
        // final figures say.
        if let Some(v) = verdicts
            .iter_mut()
            .find(|v| v.expression == failed.expression)
        {
            v.clone_from(failed);
        }
    }
    let sizing = watched.sizing.as_ref();
    let written = outputs.write(summary, processes, sizing, &verdicts, settings);
    let mut sized = sizing
        .map(|outcome| render::sizing(outcome, summary.stop))
        .unwrap_or_default();
    if let Some(v) = &watched.aborted_by {
        let _ = writeln!(
            sized,
            "Stopped by the threshold {:?}, which failed: {} (limit {}).",
            v.expression, v.shown, v.limit
        );
    }
    let style = render::SummaryStyle {
        processes,
        percentiles: &settings.percentiles,
        chart: settings.url.is_some(),
        fail_given: settings.fail.is_some(),
        max_workers: match &settings.run.load {
            molotov_core::Load::Open(arrivals) => Some(arrivals.max_workers.get()),
            molotov_core::Load::Closed(_) => None,
        },
    };
    let exported = settings
        .export
        .as_ref()
        .map(|e| crate::export::summary(e, &watched.exported))
        .unwrap_or_default();
    display.finish(
        sized
            + &render::summary(summary, &style)
            + &exported
            + &crate::threshold::summary(&verdicts),
    );
    let (marked, error) = written;
    // For `kubectl logs`: after everything else, even with -q.
    if let Some(marked) = marked {
        crate::display::print_stdout(&marked);
    }
    if let Some(line) = error {
        eprint_line(&line);
        return ExitStatus::Usage;
    }
    let thresholds_failed = verdicts.iter().any(|v| !v.passed);
    ExitStatus::of(summary, settings.fail, thresholds_failed)
}
