//! Molotov-style load tests in Rust: weighted async scenarios, fixtures, events, and Molotov's
//! whole command line, on an engine that spends a fraction of the CPU.
//!
//! This is the crate a load test depends on. It re-exports the engine ([`molotov_core`]), the
//! attribute macros, and provides the command line: [`main`] parses Molotov's options, runs the
//! plan with the console, prints the summary and returns the exit code.
//!
//! # Layout
//! - `app`: the edge: options → [`Settings`] → plan → run → console, summary, results, exit code.
//! - `args` ([`Args`]): the command line as Molotov spells it; `config_file`: `--config
//!   molotov.json TEST`; `settings` ([`Settings`]): the validated, typed result.
//! - `dashboard`: the full-screen view (ratatui), the default on a terminal; `console`: the
//!   line console thread; `lines`: notices as text lines; `display`: which of them a run uses;
//!   `process`: `-p N` worker processes; `runtime`: the engine's runtime; `render`: summary and
//!   error text; `results`: `--json`; `exit` ([`ExitStatus`]): exit codes; `signal`: Ctrl-C
//!   and SIGTERM; `panics`: scenario panics shown briefly while a run lasts; `statsd`
//!   ([`Statsd`]): `--statsd` metrics and the client load tests use; `sizing`: `--sizing`'s
//!   watch of the failure ratio.
//! - `websockets`: the summary's WebSocket table.
//! - `export`: `--prometheus-write`, `--prometheus-listen`, `--otlp` (a sink of the engine's
//!   snapshots; `metrics`: the series; `prometheus`, `otlp`: their encodings; `push`: the
//!   pushing thread; `listen`: `/metrics`).
//! - `threshold`: `--threshold` (the grammar in `threshold::parse`, verdicts on a report, the
//!   live watch that evaluates them every 2 s, stops the run on a failed `abort` one and feeds
//!   the live page); `outputs`: what a run writes and serves besides the console (`--json`,
//!   `--junit`, `--html`, `--web`), opened before the run; `junit`: the `JUnit` XML;
//!   `report`: the HTML report (`page.html`, our own page and charts, with the data embedded)
//!   and `report::live`, the page served during the run; `merge` ([`report_main`]):
//!   `molotov-report`, results files merged.
//! - `shard`: `--shard`/`--shards` (a shard's share of the run's config, `--start-at`, the
//!   plan's hash, the shards' completeness check); `command_line`: the command line as reports
//!   show it, secrets hidden.
//! - `capture`: the process's own stdout and stderr through pipes, so prints and the console's
//!   lines come out in order; `failing`: the "every run is failing" line; `percentiles`:
//!   `--percentiles`; `arrivals`: the open model (`--rate`) in words; `limits`: the open-file
//!   limit; `url_test`: the one-URL mode (`molotov https://...`).
//! - [`prelude`]: what a load test file imports.
//!
//! # Example
//! ```no_run
//! use molotov::prelude::*;
//!
//! #[scenario(weight = 40)]
//! async fn scenario_one(session: Session) -> ScenarioResult {
//!     let response = session.get("http://localhost:8080").send().await?;
//!     let body: serde_json::Value = response.json()?;
//!     ensure!(body["result"] == "OK");
//!     ensure!(response.status() == 200);
//!     Ok(())
//! }
//!
//! #[scenario(weight = 60)]
//! async fn scenario_two(session: Session) -> ScenarioResult {
//!     let response = session.get("http://localhost:8080").send().await?;
//!     ensure!(response.status() == 200);
//!     Ok(())
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     molotov::main(molotov::plan![scenario_one, scenario_two])
//! }
//! ```

mod app;
mod args;
mod arrivals;
mod capture;
mod command_line;
mod config_file;
mod console;
mod dashboard;
mod display;
mod exit;
mod export;
mod failing;
mod generator;
mod junit;
mod limits;
mod lines;
mod merge;
mod outputs;
mod panics;
mod percentiles;
mod process;
mod render;
mod report;
mod results;
mod runtime;
mod schedstat;
mod settings;
mod shard;
mod signal;
mod sizing;
mod statsd;
mod threshold;
mod url_test;
mod websockets;

pub use app::{Host, HostHooks, SetEnv, main, run_with_hooks, run_with_loader};
pub use args::{Args, ExportOptions, OptionKind, OptionSpec, Parsed, ResultsOptions, option_table};
pub use exit::ExitStatus;
pub use merge::report_main;
pub use percentiles::Percentiles;
pub use process::Forked;
pub use settings::{Output, Settings, UsageError};
pub use shard::{INDEX_VARIABLE, Shard, ShardFixtures, StartAt};
pub use statsd::{STATSD_VAR, Statsd, StatsdAddress, statsd};
pub use url_test::UrlTest;

pub use molotov_core::*;
pub use molotov_macros::{
    events, global_setup, global_teardown, scenario, scenario_picker, setup, setup_session,
    teardown, teardown_session,
};

/// A [`Plan`] from items marked with the attribute macros (`#[scenario]`, `#[setup]`...), in
/// the order given.
///
/// ```ignore
/// molotov::main(molotov::plan![home, checkout, init_worker])
/// ```
#[macro_export]
macro_rules! plan {
    ($($item:ident),* $(,)?) => {{
        let plan = $crate::Plan::new();
        $(let plan = $item::register(plan);)*
        plan
    }};
}

/// What a load test file imports: `use molotov::prelude::*;`.
pub mod prelude {
    pub use crate::{
        BoxError, Event, Failure, Plan, RunInfo, Scenario, ScenarioResult, Session, SessionOptions,
        SetupResult, ensure, events, global_setup, global_teardown, plan, scenario,
        scenario_picker, setup, setup_session, teardown, teardown_session,
    };
}
