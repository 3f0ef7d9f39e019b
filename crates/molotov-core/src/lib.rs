//! The molotov engine: Molotov's model of a load test (weighted async scenarios, fixtures,
//! events, workers and stop conditions) on tokio, with exact statistics.
//!
//! No command line, no terminal, no Python here: the `molotov` crate parses options and draws
//! the console, `molotov-py` adapts Python scripts; both drive this crate.
//!
//! # Layout
//! - [`plan`](Plan): what a load test defines: [`Scenario`]s, fixtures, [`Listener`]s, a
//!   picker. [`scenario`](Scenario) holds [`ScenarioFn`], the seam any code plugs into.
//! - [`config`](RunConfig): how a run goes (workers, duration, runs, mode, ramp-up, delays,
//!   `-x`, verbosity), as validated data; [`RunInfo`] is what fixtures receive.
//! - [`runner`](Runner): validates a plan against a config, runs global fixtures, starts the
//!   workers and the tasks `beside` them (the deadline, the grace, the live snapshots, the
//!   `current_workers` ticker, background tasks), and returns a [`Summary`].
//! - `worker`: one worker's fixtures around the single scenario loop; `picker`: the
//!   scenario catalog and the picking strategies (weighted, custom, `-s`, `--single-run`).
//! - Load models ([`Load`]): `pacing`, the loop's one seam between them (closed, closed with
//!   stages, open: when a worker's next run starts); `load`, the tasks beside the workers
//!   (the open model's dispatcher, which releases runs at their due times and adds workers,
//!   and the stages' staffing); [`schedule`](Schedule): the arithmetic of rates and
//!   [`Stages`] over time; `alarm`: the dispatcher's precise timer; [`Partition`]: a
//!   process's share of the schedule.
//! - `timeline`: the clock that closes the statistics' current interval once a second (the
//!   run's `molotov_stats::Timeline`: runs, statuses, workers, the schedule, per second).
//! - `busy`: how busy the workers' thread is each second, from a [`ThreadClock`] the host
//!   gives (time running and waiting for a core); saturated seconds warn once and are counted
//!   in the summary's [`GeneratorLoad`].
//! - `exchange`: one request's recording (status, latency, bytes) whenever it completes.
//! - [`session`](Session): what scenario code receives; [`RequestBuilder`] and [`Response`];
//!   every request goes through [`Session::send`], which fires events and records statistics.
//! - [`event`](Event): the events and listeners. [`notice`](Notice): what the console is told,
//!   without ever blocking a worker. [`progress`](Progress): live counters, and the latest
//!   statistics snapshot with the open model's and the generator's [`LiveFigures`].
//! - [`shutdown`](Shutdown): graceful stop and abort, passed in by the caller.
//! - [`vars`](Vars): `set_var`/`get_var`. `blocking`: synchronous requests for fixtures.
//! - [`sink`](Sink): the list of sinks the engine hands every recorded request and scenario
//!   run, or a snapshot of the process's statistics each period and at the end (metrics
//!   exporters: statsd, Prometheus, OpenTelemetry plug in here).
//! - [`error`](Error): errors that stop a run; [`Failure`] and [`failure_kind`] classify the
//!   errors of scenario code.
//!
//! # Data flow
//! `Runner::new(plan, config)` → `run(shutdown)`: `global_setup` → N workers (ramp-up pause →
//! `setup` → [`Session`] → `setup_session` → loop { pick → `scenario_start` → run →
//! record in `Stats` → success/failure event + [`Notice`] → delay } → `teardown_session` →
//! `teardown`) → `global_teardown` → [`Summary`] with the `molotov_stats::Report`.
//!
//! Every worker of a process runs on one thread (`current_thread` runtime + `LocalSet`): no
//! locks on the hot path, scenario futures need not be `Send`, and a Python coroutine can be a
//! scenario. More cores are used with more processes.
//!
//! # Fixture failures
//! - `global_setup` fails: nothing runs, [`Runner::run`] returns the error.
//! - `setup` or `setup_session` fails for a worker: that worker does not run scenarios, the
//!   run stops gracefully (the other workers finish their current scenario), every worker's
//!   teardowns and `global_teardown` still run; the summary lists the failure.
//! - a teardown fixture fails: it is reported and listed; the rest goes on.
//!
//! # Example
//! ```no_run
//! use molotov_core::{ensure, Plan, RunConfig, Runner, Scenario, ScenarioResult, Session, Shutdown};
//!
//! async fn home(session: Session) -> ScenarioResult {
//!     let response = session.get("http://127.0.0.1:8080/").send().await?;
//!     ensure!(response.status() == 200);
//!     Ok(())
//! }
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let runner = Runner::new(Plan::new().scenario(Scenario::new("home", home)), RunConfig::default())?;
//! let summary = runtime.block_on(runner.run(Shutdown::new()))?;
//! println!("{} successes", summary.successes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alarm;
mod beside;
mod blocking;
mod busy;
mod config;
mod dump;
mod error;
mod event;
mod exchange;
mod load;
mod notice;
mod pacing;
mod picker;
mod plan;
mod progress;
mod request;
mod response;
mod runner;
mod scenario;
mod schedule;
mod session;
mod shutdown;
mod sink;
mod summary;
mod timeline;
mod vars;
mod websocket;
mod worker;

pub use blocking::{BLOCKING_TIMEOUT, SyncResponse, blocking_request};
pub use busy::{GeneratorLoad, SATURATED, ThreadClock, ThreadTimes};
pub use config::{
    Arrivals, DEFAULT_GRACEFUL_STOP, LiveReport, Load, Mode, Partition, RunConfig, RunInfo, Timer,
};
pub use error::{BoxError, Error, Failure, Fixture, ScenarioResult, error_message, failure_kind};
pub use event::{Event, Listener, Listeners, Reaction};
pub use notice::{Notice, NoticeReceiver, Notices, PrintSource};
pub use plan::{Plan, SetupResult};
pub use progress::Progress;
pub use request::RequestBuilder;
pub use runner::Runner;
pub use scenario::{Scenario, ScenarioFn};
pub use schedule::{Schedule, Stage, Stages, parse_duration};
pub use session::{Context, Request, Response, Session, SessionOptions};
pub use shutdown::{Shutdown, StopCause};
pub use sink::{Outcome, Sink, Snapshot};
pub use summary::{ArrivalSummary, FixtureFailure, LiveFigures, Summary};
pub use vars::Vars;
pub use websocket::{WebSocket, WebSocketBuilder};

pub use molotov_http as http;
pub use molotov_stats as stats;
