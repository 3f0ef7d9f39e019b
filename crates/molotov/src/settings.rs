//! [`Settings`]: the command line (and config file) turned, once, into typed values.
//!
//! After this conversion nothing looks at strings again: the engine gets a
//! [`RunConfig`](molotov_core::RunConfig), the console its options, the edge its outputs.

use std::io::IsTerminal as _;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;

use molotov_core::{Arrivals, LiveReport, Load, Mode, RunConfig, Schedule};

use crate::args::{Args, Parsed};
use crate::percentiles::Percentiles;
use crate::shard;
use crate::statsd::StatsdAddress;
use crate::threshold::Thresholds;
use crate::url_test::UrlTest;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nothing at all (`-q`).
    Quiet,
    /// Molotov's line console (`-c`, and whenever stdout is not a terminal).
    Simple,
    /// The full-screen dashboard (the default on a terminal).
    Dashboard,
}

/// Everything a run needs from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The engine's configuration.
    pub run: RunConfig,
    /// The scenario script (path or module name) for hosts that load one.
    pub script: String,
    /// One-URL mode (`molotov https://host/path`): the request to load, instead of a script.
    pub url: Option<UrlTest>,
    /// The latency percentiles every view shows.
    pub percentiles: Percentiles,
    /// Extension modules to load before the script.
    pub extensions: Vec<String>,
    /// How progress is shown.
    pub output: Output,
    /// How often the console refreshes.
    pub console_update: Duration,
    /// Failures at which the exit code becomes 1 (`-f`).
    pub fail: Option<u64>,
    /// Where to write the JSON results.
    pub json: Option<PathBuf>,
    /// Worker processes (`-p`).
    pub processes: usize,
    /// `--uvloop` (Python scripts).
    pub uvloop: bool,
    /// `--debug` (Python scripts).
    pub debug: bool,
    /// `--statsd`: where to send metrics.
    pub statsd: Option<StatsdAddress>,
    /// `--prometheus-write`, `--prometheus-listen`, `--otlp`: where the metrics go.
    pub(crate) export: Option<crate::export::ExportConfig>,
    /// `--sizing`: the failure tolerance in percent.
    pub sizing: Option<f64>,
    /// `--threshold`s, parsed.
    pub(crate) thresholds: Thresholds,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// `--html FILE`.
    pub html: Option<PathBuf>,
    /// `--web [HOST:]PORT`.
    pub web: Option<std::net::SocketAddr>,
    /// The command line as given, for reports.
    pub command: String,
    /// `--shard I/N` (or `--shards N` and its index): this run's part of a sharded run.
    pub shard: Option<crate::shard::Shard>,
    /// `--results-stdout`.
    pub results_stdout: bool,
    /// Environment variables to set before the load test is loaded (`--config`'s `"env"`).
    pub env: Vec<(String, String)>,
    /// The options as given, for adapters that hand them to user code (Molotov's `args`).
    pub args: Args,
    /// The options given on the command line (not defaulted, not from a config file).
    pub explicit: Vec<String>,
}

/// A combination of options that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `--sizing`'s workers per process unless `-w` says otherwise (as Molotov).
const SIZING_WORKERS: u64 = 500;
/// `--sizing`'s ramp-up in seconds unless `--ramp-up` says otherwise (as Molotov).
const SIZING_RAMP_UP: f64 = 300.0;

impl Settings {
    /// Validates the combination and converts.
    pub fn from_parsed(parsed: Parsed) -> Result<Settings, UsageError> {
        let Parsed {
            mut args,
            explicit,
            env,
            configured,
            argv,
        } = parsed;
        let command = crate::command_line::command_line(&argv);
        if args.sizing {
            let given = |id: &str| explicit.iter().chain(&configured).any(|e| e == id);
            sizing_defaults(&mut args, given)?;
        }
        if args.quiet && args.verbose > 0 {
            return Err(UsageError("-q and -v cannot be used together".into()));
        }
        if args.single_run && args.single_mode.is_some() {
            return Err(UsageError(
                "--single-mode and --single-run cannot be used together".into(),
            ));
        }
        let mode = match (&args.single_mode, args.single_run) {
            (Some(name), _) => Mode::Single(name.clone()),
            (None, true) => Mode::SingleRun,
            (None, false) => Mode::Weighted,
        };
        let url = UrlTest::from_args(&args).map_err(UsageError)?;
        let workers = usize::try_from(args.workers)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| UsageError(format!("--workers {} is out of range", args.workers)))?;
        let load = load(&args, workers)?;
        let processes = usize::try_from(args.processes)
            .map_err(|_| UsageError(format!("--processes {} is out of range", args.processes)))?;
        let (statsd, export) = exporters(&args, &load)?;
        let thresholds = Thresholds::parse(&args.results.thresholds)
            .and_then(|t| t.check_model(matches!(load, Load::Open(_))).map(|()| t))
            .map_err(|e| UsageError(e.to_string()))?;
        let output = if args.quiet {
            Output::Quiet
        } else if args.console || !std::io::stdout().is_terminal() {
            Output::Simple
        } else {
            Output::Dashboard
        };
        let mut run = RunConfig {
            workers,
            duration: Some(seconds(args.duration)),
            max_runs: args.max_runs.and_then(NonZeroU64::new),
            mode,
            ramp_up: seconds(args.ramp_up),
            delay: seconds(args.delay),
            fail_fast: args.exception,
            graceful_stop: if args.force_shutdown {
                Duration::ZERO
            } else {
                seconds(args.graceful_stop)
            },
            verbose: args.verbose,
            seed: args.seed,
            connect_to: args.connect_to.clone(),
            http2: args.http2,
            // The dashboard shows latencies and status codes as the run goes; thresholds are
            // evaluated and the live page drawn on the same snapshots; only the page draws the
            // timeline.
            // `/metrics` of a `-p` run is served by the parent, from the processes' snapshots.
            live_report: (output == Output::Dashboard
                || !args.results.thresholds.is_empty()
                || args.web.is_some()
                || args.export.prometheus_listen.is_some())
            .then_some(LiveReport {
                period: Duration::from_secs(1),
                timeline: args.web.is_some(),
            }),
            load,
            ..RunConfig::default()
        };
        let shard = shard::configure(&args, &mut run).map_err(UsageError)?;
        Ok(Settings {
            run,
            shard,
            results_stdout: args.results_stdout,
            script: args.scenario.clone(),
            url,
            percentiles: args.results.percentiles.clone(),
            extensions: args.use_extension.clone(),
            output,
            console_update: seconds(args.console_update),
            fail: args.fail,
            json: args.results.json.clone(),
            processes,
            uvloop: args.uvloop,
            debug: args.debug,
            statsd,
            export,
            sizing: args.sizing.then_some(args.sizing_tolerance),
            thresholds,
            junit: args.results.junit.clone(),
            html: args.results.html.clone(),
            web: args.web,
            command,
            env,
            args,
            explicit,
        })
    }

    /// Whether the user gave option `id` (a field name of [`Args`]) on the command line.
    pub fn is_explicit(&self, id: &str) -> bool {
        self.explicit.iter().any(|e| e == id)
    }
}

/// `--statsd` and the Prometheus and OpenTelemetry exporters, validated.
fn exporters(
    args: &Args,
    load: &Load,
) -> Result<(Option<StatsdAddress>, Option<crate::export::ExportConfig>), UsageError> {
    let statsd = if args.statsd {
        Some(StatsdAddress::parse(&args.statsd_address).map_err(UsageError)?)
    } else {
        None
    };
    let open = matches!(load, Load::Open(_));
    let export =
        crate::export::ExportConfig::new(&args.export, open, |name| std::env::var(name).ok())
            .map_err(UsageError)?;
    Ok((statsd, export))
}

/// Sizing ramps up to many workers slowly, unless told otherwise (`given` says whether an
/// option was); its tolerance is a percentage.
fn sizing_defaults(args: &mut Args, given: impl Fn(&str) -> bool) -> Result<(), UsageError> {
    if !given("workers") {
        args.workers = SIZING_WORKERS;
    }
    if !given("ramp_up") {
        args.ramp_up = SIZING_RAMP_UP;
    }
    if !(args.sizing_tolerance > 0.0 && args.sizing_tolerance < 100.0) {
        return Err(UsageError(format!(
            "--sizing-tolerance {} is not a percentage between 0 and 100",
            args.sizing_tolerance
        )));
    }
    Ok(())
}

/// The most workers a closed model's stage may ask for (per process).
const MAX_STAGE_WORKERS: f64 = 1_000_000.0;

/// The load model: open with `--rate`/`--rate-stages`, closed (with `--stages`) otherwise.
/// Clap already refused the options that conflict with each model.
fn load(args: &Args, workers: NonZeroUsize) -> Result<Load, UsageError> {
    let open = args.rate.is_some() || args.rate_stages.is_some();
    if !open {
        if args.max_workers.is_some() || args.drop_late {
            return Err(UsageError(
                "--max-workers and --drop-late are for the open model: add --rate or --rate-stages"
                    .into(),
            ));
        }
        if let Some(stages) = &args.stages {
            if let Some(stage) = stages
                .0
                .iter()
                .find(|s| s.target.fract() != 0.0 || s.target > MAX_STAGE_WORKERS)
            {
                return Err(UsageError(format!(
                    "--stages: {} is not a number of workers (a whole number up to {MAX_STAGE_WORKERS})",
                    stage.target
                )));
            }
        }
        return Ok(Load::Closed(args.stages.clone()));
    }
    let start = args.rate.unwrap_or(0.0);
    let schedule = match &args.rate_stages {
        Some(stages) => Schedule::ramping(start, stages.clone()),
        None => Schedule::constant(start),
    };
    let max_workers = match args.max_workers {
        Some(max) => usize::try_from(max)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| UsageError(format!("--max-workers {max} is out of range")))?,
        // Nothing grows unless asked.
        None => workers,
    };
    if max_workers < workers {
        return Err(UsageError(format!(
            "--max-workers {max_workers} is fewer than -w {workers}: -w workers start first, \
             --max-workers is the most"
        )));
    }
    Ok(Load::Open(Arrivals {
        schedule,
        max_workers,
        drop_late: args.drop_late,
    }))
}

/// Seconds as a `Duration`; the parsers guarantee finite, non-negative values, and anything
/// beyond what a `Duration` holds is [`Duration::MAX`], which the engine reads as no limit
/// (its arithmetic is checked: a deadline the clock cannot hold is no deadline).
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(argv: &[&str]) -> Result<Settings, UsageError> {
        let parsed =
            Args::parse_from_argv(std::iter::once("molotov").chain(argv.iter().copied())).unwrap();
        Settings::from_parsed(parsed)
    }

    #[test]
    fn options_become_a_run_config() {
        let s = settings(&[
            "-w",
            "4",
            "-d",
            "1.5",
            "-r",
            "0",
            "--ramp-up",
            "2",
            "-x",
            "-s",
            "a",
        ])
        .unwrap();
        assert_eq!(s.run.workers.get(), 4);
        assert_eq!(s.run.duration, Some(Duration::from_millis(1500)));
        assert_eq!(s.run.max_runs, None, "-r 0 means no limit, as in Molotov");
        assert_eq!(s.run.ramp_up, Duration::from_secs(2));
        assert!(s.run.fail_fast);
        assert_eq!(s.run.mode, Mode::Single("a".into()));
        assert_eq!(s.output, Output::Simple);
    }

    #[test]
    fn the_grace_is_typed_and_force_shutdown_makes_it_zero() {
        let s = settings(&["--graceful-stop", "2.5"]).unwrap();
        assert_eq!(s.run.graceful_stop, Duration::from_millis(2500));
        let default = settings(&[]).unwrap();
        assert_eq!(
            default.run.graceful_stop,
            molotov_core::DEFAULT_GRACEFUL_STOP
        );
        let forced = settings(&["--graceful-stop", "9", "--force-shutdown"]).unwrap();
        assert_eq!(forced.run.graceful_stop, Duration::ZERO);
    }

    #[test]
    fn huge_durations_are_the_largest_duration() {
        let s = settings(&["-d", "1e20", "--ramp-up", "1e400", "--delay", "1e300"]).unwrap();
        assert_eq!(s.run.duration, Some(Duration::MAX));
        assert_eq!((s.run.ramp_up, s.run.delay), (Duration::MAX, Duration::MAX));
        let s = settings(&["--console-update", "1e20", "--graceful-stop", "inf"]).unwrap();
        assert_eq!(
            (s.console_update, s.run.graceful_stop),
            (Duration::MAX, Duration::MAX)
        );
    }

    #[test]
    fn rate_options_make_the_open_model() {
        let s = settings(&["--rate", "50", "-w", "2"]).unwrap();
        let Load::Open(arrivals) = &s.run.load else {
            panic!("open model")
        };
        assert_eq!(arrivals.schedule, Schedule::constant(50.0));
        assert_eq!(arrivals.max_workers.get(), 2, "-w unless asked");
        assert!(!arrivals.drop_late);
        let s = settings(&[
            "--rate",
            "5",
            "--rate-stages",
            "10s:100,1m:100",
            "--max-workers",
            "20",
            "--drop-late",
        ])
        .unwrap();
        let Load::Open(arrivals) = &s.run.load else {
            panic!("open model")
        };
        let stages = "10s:100,1m:100".parse().unwrap();
        assert_eq!(arrivals.schedule, Schedule::ramping(5.0, stages));
        assert_eq!(arrivals.max_workers.get(), 20);
        assert!(arrivals.drop_late);
    }

    #[test]
    fn stages_make_a_closed_model_that_moves() {
        let s = settings(&["--stages", "30s:10,1m:10,30s:0"]).unwrap();
        assert_eq!(
            s.run.load,
            Load::Closed(Some("30s:10,1m:10,30s:0".parse().unwrap()))
        );
        assert_eq!(s.run.worker_slots(), 10);
        assert_eq!(settings(&[]).unwrap().run.load, Load::Closed(None));
        assert!(settings(&["--stages", "1s:2000000"]).is_err());
    }

    #[test]
    fn quiet_and_verbose_conflict_even_from_a_config_file() {
        let mut parsed = Args::parse_from_argv(["molotov", "-q"]).unwrap();
        parsed.args.verbose = 1;
        assert!(Settings::from_parsed(parsed).is_err());
    }
}
