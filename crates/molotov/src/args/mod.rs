//! The command line, as Molotov 2.6 spells it: the same options, short and long names and
//! defaults, plus molotov's own (`--json`, `--seed`, `--percentiles`, the one-URL mode's).
//! Raw values only; [`Settings`](crate::Settings) turns them into a validated configuration.
//!
//! Every option is defined here once. What else lists options derives from [`Args`]:
//! [`option_table`] (what `--config` files and `moloslave` accept, and how each is written on
//! a command line), and [`Args`]' serde form (the Python `args` namespace).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};
use serde::Serialize;

use crate::percentiles::Percentiles;

mod export;
pub use export::ExportOptions;
pub(crate) use export::parse_push_url;

/// `molotov [options] [scenario]`.
#[derive(Debug, Clone, Parser, Serialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one field per Molotov flag: the command line is a flat list of switches"
)]
#[command(
    name = "molotov",
    version,
    about = "Load test.",
    long_about = "Load test: run the scenarios of a Molotov script (or of this Rust load test) \
                  with many concurrent workers.",
    disable_version_flag = true,
    // `-d -1` is a bad duration, not an unknown option `-1`.
    allow_negative_numbers = true,
    // A `--config` file's options come first on the command line that is parsed; the same
    // option given again later wins (options given on the command line are left out of the
    // file's, so this only matters within one of them).
    args_override_self = true
)]
pub struct Args {
    /// Path or module name that contains scenarios (with --config: the test to run), or a URL
    /// (http:// or https://) to load with one scenario that requests it
    #[arg(default_value = "loadtest.py")]
    pub scenario: String,

    /// Run once every existing scenario
    #[arg(long, conflicts_with = "single_mode")]
    pub single_run: bool,

    /// Name of a single scenario to run, repeatedly, until -d or -r
    #[arg(short = 's', long, value_name = "SINGLE_MODE")]
    pub single_mode: Option<String>,

    /// Point to a JSON config file (molotov.json)
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,

    /// Displays version and exits
    #[arg(long, action = ArgAction::Version)]
    pub version: Option<bool>,

    /// Run the event loop in debug mode
    #[arg(long)]
    pub debug: bool,

    /// Verbosity level. -v will display tracebacks. -vv requests and responses
    #[arg(short, long, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Number of workers
    #[arg(short, long, default_value_t = 1, value_parser = parse_at_least_one)]
    pub workers: u64,

    /// Ramp-up time in seconds
    #[arg(long, default_value = "0.0", value_parser = parse_seconds)]
    pub ramp_up: f64,

    /// Autosizing
    #[arg(long)]
    pub sizing: bool,

    /// Sizing tolerance, in percent of failures
    #[arg(long, default_value = "5.0", value_parser = parse_percent)]
    pub sizing_tolerance: f64,

    /// Delay between each worker run, in seconds
    #[arg(long, default_value = "0.0", value_parser = parse_seconds)]
    pub delay: f64,

    /// Delay between each console update, in seconds
    #[arg(long, default_value = "0.2", value_parser = parse_positive_seconds)]
    pub console_update: f64,

    /// Number of processes
    #[arg(short, long, default_value_t = 1, value_parser = parse_at_least_one)]
    pub processes: u64,

    /// Duration in seconds
    #[arg(short, long, default_value = "86400", value_parser = parse_positive_seconds)]
    pub duration: f64,

    /// Maximum runs per worker (0: no limit)
    #[arg(short = 'r', long, value_parser = parse_runs)]
    pub max_runs: Option<u64>,

    /// Quiet: print nothing (the exit code still reports failures with -f)
    #[arg(short, long)]
    pub quiet: bool,

    /// Stop on first failure
    #[arg(short = 'x', long)]
    pub exception: bool,

    /// Number of failures required to fail (exit code 1)
    #[arg(short, long, value_parser = parse_at_least_one)]
    pub fail: Option<u64>,

    /// Use simple console for feedback
    #[arg(short, long)]
    pub console: bool,

    /// Activates statsd
    #[arg(long)]
    pub statsd: bool,

    /// Statsd address
    #[arg(long, default_value = "udp://localhost:8125")]
    pub statsd_address: String,

    /// Use uvloop
    #[arg(long)]
    pub uvloop: bool,

    /// Imports a module containing Molotov extensions (repeat the option for several)
    #[arg(long, value_name = "USE_EXTENSION", action = ArgAction::Append)]
    pub use_extension: Vec<String>,

    /// Cancel the scenarios in flight as soon as the run stops (a --graceful-stop of 0)
    #[arg(long)]
    pub force_shutdown: bool,

    /// Seconds the scenarios in flight may take to finish once the run stops (the duration, -x, Ctrl-C...), before they are cancelled
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub graceful_stop: f64,

    /// Open model: start this many scenario runs per second (all processes together), whether or not earlier runs finished
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate,
          conflicts_with_all = ["max_runs", "single_run", "sizing", "ramp_up", "delay", "stages"])]
    pub rate: Option<f64>,

    /// Open model: ramp the rate through stages DURATION:RATE,... (e.g. 30s:200,1m:200,15s:0), from --rate (default 0); the run ends with the last stage
    #[arg(long, value_name = "STAGES",
          conflicts_with_all = ["max_runs", "single_run", "sizing", "ramp_up", "delay", "stages"])]
    #[serde(serialize_with = "displayed_some")]
    pub rate_stages: Option<molotov_core::Stages>,

    /// Open model: the most workers per process; more than -w start when due runs wait for a busy worker [default: -w]
    #[arg(long, value_name = "WORKERS", value_parser = parse_at_least_one)]
    pub max_workers: Option<u64>,

    /// Open model: drop the runs that fall due while every worker is busy (counted), instead of starting them late
    #[arg(long)]
    pub drop_late: bool,

    /// Closed model: move the worker count through stages DURATION:WORKERS,... (e.g. 1m:100,5m:100,1m:0), from -w; the run ends with the last stage
    #[arg(long, value_name = "STAGES", conflicts_with_all = ["sizing", "ramp_up"])]
    #[serde(serialize_with = "displayed_some")]
    pub stages: Option<molotov_core::Stages>,

    /// What the results become: `--json`, `--threshold`, `--junit`, `--html`, `--percentiles`
    /// (shared with `molotov-report`).
    #[command(flatten)]
    #[serde(flatten)]
    pub results: ResultsOptions,

    /// Metrics for Prometheus and OpenTelemetry: `--prometheus-write`, `--prometheus-listen`,
    /// `--otlp`, `--export-interval`, `--run-id`.
    #[command(flatten)]
    #[serde(flatten)]
    pub export: ExportOptions,

    /// Serve the HTML report live on `[HOST:]PORT` while the run lasts (host 127.0.0.1 unless given)
    #[arg(long, value_name = "[HOST:]PORT", value_parser = parse_listen)]
    #[serde(serialize_with = "displayed_some")]
    pub web: Option<std::net::SocketAddr>,

    /// Run shard I of N (I from 0): this machine's exact share of -w and of the --rate schedule; merge the shards' --json with molotov-report
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    #[serde(serialize_with = "displayed_some")]
    pub shard: Option<crate::shard::Shard>,

    /// Run one of N shards, its index taken from `JOB_COMPLETION_INDEX` (as a Kubernetes Indexed Job sets it)
    #[arg(long, value_name = "N", value_parser = parse_at_least_one)]
    pub shards: Option<u64>,

    /// Start the load at this time (RFC 3339, or Unix seconds), after the global setup: shards started at different moments run the same seconds
    #[arg(long, value_name = "TIME", value_parser = parse_start_at)]
    #[serde(serialize_with = "displayed_some")]
    pub start_at: Option<crate::shard::StartAt>,

    /// Sharded runs: where the global setup and teardown fixtures run, in every shard or only in the first (shard 0)
    #[arg(long, value_name = "WHERE", value_enum, default_value_t)]
    pub shard_fixtures: crate::shard::ShardFixtures,

    /// Print the --json results on stdout at the end, between two marker lines (for kubectl logs | molotov-report -)
    #[arg(long)]
    pub results_stdout: bool,

    /// Speak HTTP/2: offered by ALPN over TLS (the server picks), with prior knowledge (h2c) for http:// URLs; one connection per origin and worker carries its requests as streams
    #[arg(long)]
    pub http2: bool,

    /// Seed of the scenario picking, to repeat a run's choices
    #[arg(long)]
    pub seed: Option<u64>,

    /// Send connections for the URLs of one host and port to another (as curl's --connect-to); repeatable
    #[arg(long, value_name = "HOST:PORT:TO_HOST:TO_PORT", action = ArgAction::Append)]
    #[serde(serialize_with = "displayed")]
    pub connect_to: Vec<molotov_core::http::ConnectTo>,

    /// URL mode: the request method
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,

    /// URL mode: a request header, "Name: value"; repeatable
    #[arg(short = 'H', long, value_name = "NAME: VALUE", action = ArgAction::Append)]
    pub header: Vec<String>,

    /// URL mode: the request body, as text, or @FILE to send a file's content
    #[arg(long, value_name = "TEXT|@FILE")]
    pub body: Option<String>,

    /// URL mode: the body's Content-Type (default: none, or application/json for a body that is JSON)
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
}

/// What a run's results become, options `molotov` and `molotov-report` share.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct ResultsOptions {
    /// Write the results (counts, latency histograms) as JSON to this file
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Pass/fail condition over the results, e.g. "scenario.p95 < 200ms", "failures < 1%", `status[5xx] < 0.1%`; a trailing "abort" (or "abort after 10s") stops the run when it fails; exit code 99 when one failed; repeatable
    #[arg(long = "threshold", value_name = "EXPR", action = ArgAction::Append,
          value_parser = parse_threshold)]
    pub thresholds: Vec<String>,

    /// Write the thresholds and scenarios as `JUnit` XML to this file (one test case each)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write a self-contained HTML report (tables, charts over time) to this file
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Latency percentiles shown by the summary, the dashboard and --json (the maximum is always shown)
    #[arg(long, value_name = "LIST", default_value = "50,90,95,99,99.9")]
    #[serde(serialize_with = "displayed_one")]
    pub percentiles: Percentiles,
}

/// How an option is written on a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A switch: present or not (`--quiet`).
    Flag,
    /// A switch that counts its repetitions (`-vv`).
    Count,
    /// An option with one value (`--workers 10`).
    Value,
    /// An option given once per value (`--connect-to A --connect-to B`).
    List,
}

/// One option of the command line, as `--config` files and `moloslave` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpec {
    /// The field name (`max_runs`): the key in a `molotov.json` test, and in Molotov's `args`.
    pub id: String,
    /// The long option (`--max-runs`).
    pub long: String,
    /// How it takes values.
    pub kind: OptionKind,
}

/// Every option but the positional script, `--help`, `--version` and `--config` itself, in
/// the order `--help` lists them.
pub fn option_table() -> Vec<OptionSpec> {
    Args::command()
        .get_arguments()
        .filter(|arg| !arg.is_positional())
        .filter_map(|arg| {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version" | "config") {
                return None;
            }
            let kind = match arg.get_action() {
                ArgAction::SetTrue => OptionKind::Flag,
                ArgAction::Count => OptionKind::Count,
                ArgAction::Append => OptionKind::List,
                _ => OptionKind::Value,
            };
            Some(OptionSpec {
                id: id.to_owned(),
                long: format!("--{}", arg.get_long()?),
                kind,
            })
        })
        .collect()
}

fn displayed<S: serde::Serializer, T: std::fmt::Display>(
    items: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(ToString::to_string))
}

#[allow(
    clippy::ref_option,
    reason = "serde's serialize_with passes a reference to the field"
)]
fn displayed_some<S: serde::Serializer, T: std::fmt::Display>(
    item: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match item {
        Some(item) => serializer.collect_str(item),
        None => serializer.serialize_none(),
    }
}

fn displayed_one<S: serde::Serializer, T: std::fmt::Display>(
    item: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(item)
}

/// Parsed arguments and which of them the user actually gave (the config file fills the
/// others).
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The values.
    pub args: Args,
    /// The ids (field names) of the options given on the command line.
    pub explicit: Vec<String>,
    /// Environment variables to set for the load test (`"env"` of a `--config` file).
    pub env: Vec<(String, String)>,
    /// The ids of the options a `--config` file set.
    pub configured: Vec<String>,
    /// The command line as given, program name first (a `--config` file's options are parsed
    /// together with it).
    pub argv: Vec<OsString>,
}

impl Args {
    /// Parses `argv` (its first item is the program name).
    pub fn parse_from_argv<I, T>(command_line: I) -> Result<Parsed, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let given: Vec<OsString> = command_line.into_iter().map(Into::into).collect();
        let command = Args::command();
        let matches = command.try_get_matches_from(&given)?;
        let explicit = matches
            .ids()
            .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
            .map(|id| id.as_str().to_owned())
            .collect();
        let args = Args::from_arg_matches(&matches)?;
        Ok(Parsed {
            args,
            explicit,
            env: Vec::new(),
            configured: Vec::new(),
            argv: given,
        })
    }
}

fn parse_at_least_one(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{text} is not a whole number of at least 1")),
    }
}

fn parse_runs(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| format!("{text} is not a number of runs (a whole number, 0 for no limit)"))
}

/// A number of seconds: 0 or more; one too large to hold (`1e400`, `inf`) is the largest
/// there is, which [`Settings`](crate::Settings) reads as "no limit".
fn parse_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if value.is_nan() || value < 0.0 {
        return Err(format!(
            "{text} is not a duration: it must be 0 or more seconds"
        ));
    }
    Ok(value.min(f64::MAX))
}

fn parse_positive_seconds(text: &str) -> Result<f64, String> {
    let value = parse_seconds(text)?;
    if value <= 0.0 {
        return Err(format!(
            "{text} is not a duration: it must be more than 0 seconds"
        ));
    }
    Ok(value)
}

fn parse_start_at(text: &str) -> Result<crate::shard::StartAt, String> {
    text.parse()
}

fn parse_threshold(text: &str) -> Result<String, String> {
    text.parse::<crate::threshold::Threshold>()
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// `PORT` (on 127.0.0.1), `HOST:PORT` or `[IPv6]:PORT`.
fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs as _;
    if let Ok(port) = text.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    text.to_socket_addrs()
        .ok()
        .and_then(|mut found| found.next())
        .ok_or_else(|| format!("{text:?} is not PORT or HOST:PORT"))
}

/// Runs per second: more than 0, finite.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!(
            "{text} is not a rate: it must be a number of runs per second above 0"
        )),
    }
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a percentage"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("{text} is not a percentage between 0 and 100"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
