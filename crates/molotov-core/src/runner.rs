//! [`Runner`]: validates a plan against a config, then runs it: global fixtures, workers with
//! their ramp-up and the tasks beside them (`beside`: the deadline, the once-a-second
//! `current_workers` event, aborts...), the timeline's clock, the summary.
//!
//! Every worker of the process runs on the calling thread: [`Runner::run`] must be awaited on a
//! tokio `current_thread` runtime (it makes its own `LocalSet`). With no locks and no
//! cross-thread wake-ups between workers, one process uses one core fully; `-p` adds cores.

use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use molotov_http::TlsContext;
use molotov_stats::{Report, Stats};
use tokio::sync::mpsc;
use tokio::task::{JoinSet, LocalSet};
use tokio::time::Instant;

use crate::beside;
use crate::busy::{BusyMeter, Interval, ThreadClock};
use crate::config::{Load, RunConfig, RunInfo};
use crate::error::{BoxError, Error, Failure, Fixture};
use crate::event::Listeners;
use crate::load;
use crate::notice::{self, Notice, NoticeReceiver, Notices};
use crate::pacing::{Pacing, Staffing, Timetable};
use crate::picker::{Catalog, UNKNOWN_PICK};
use crate::plan::{GlobalFn, Plan};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::session::SessionEnv;
use crate::shutdown::Shutdown;
use crate::sink::{Sink, Sinks, Snapshot};
use crate::summary::{FixtureFailure, Summary};
use crate::timeline::Clock;
use crate::vars::Vars;
use crate::worker::{self, Shared};

/// A validated load test, ready to run once.
pub struct Runner {
    plan: Plan,
    catalog: Catalog,
    config: RunConfig,
    vars: Vars,
    progress: Arc<Progress>,
    notices: Notices,
    receiver: Option<NoticeReceiver>,
    sinks: Sinks,
    busy: Option<ThreadClock>,
}

impl Runner {
    /// Checks the plan against the config: at least one scenario, unique names, a known `-s`
    /// scenario, each fixture defined once. Warnings (weight-0 scenarios) become notices.
    pub fn new(mut plan: Plan, config: RunConfig) -> Result<Runner, Error> {
        if !plan.mistakes.is_empty() {
            return Err(plan.mistakes.swap_remove(0));
        }
        let (catalog, warnings) = Catalog::new(std::mem::take(&mut plan.scenarios))?;
        catalog.picker(&config.mode, None, 0)?;
        let progress = Arc::new(Progress::default());
        let (notices, receiver) = notice::channel(progress.clone());
        for warning in warnings {
            notices.send(Notice::Warning(warning));
        }
        Ok(Runner {
            plan,
            catalog,
            config,
            vars: Vars::default(),
            progress,
            notices,
            receiver: Some(receiver),
            sinks: Sinks::default(),
            busy: None,
        })
    }

    /// Adds a sink: it is handed this process's requests and scenario runs, or snapshots of
    /// its statistics, as it asks (see [`Sink`]). A sink that wants snapshots turns them on
    /// (each second) when no live view did.
    pub fn add_sink(&mut self, sink: Rc<dyn Sink>) {
        if sink.wants_snapshots() && self.config.live_report.is_none() {
            self.config.live_report = Some(crate::LiveReport {
                period: Duration::from_secs(1),
                timeline: false,
            });
        }
        self.sinks.add(sink);
    }

    /// Measures how busy the thread running the workers is, with `clock` (see [`ThreadClock`]):
    /// the run warns once its thread is saturated, and its summary has a [`GeneratorLoad`](crate::GeneratorLoad).
    pub fn measure_busy(&mut self, clock: ThreadClock) {
        self.busy = Some(clock);
    }

    /// The notices of the run, for a console; `None` after the first call.
    pub fn take_notices(&mut self) -> Option<NoticeReceiver> {
        self.receiver.take()
    }

    /// The live counters.
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }

    /// The run's shared variables, to set some before it starts.
    pub fn vars(&self) -> &Vars {
        &self.vars
    }

    /// The configuration, to adjust before the run (the processes of a multi-process run get
    /// their own worker ids and leave the global fixtures to the parent).
    pub fn config_mut(&mut self) -> &mut RunConfig {
        &mut self.config
    }

    /// Runs `global_setup` now instead of in [`Runner::run`]: the parent of a multi-process
    /// run does, before it starts the processes (which inherit what it set). Not when the
    /// config says the global fixtures run elsewhere (`RunConfig::global_fixtures`).
    pub fn global_setup(&mut self) -> Result<(), Error> {
        let Some(f) = self.plan.fixtures.global_setup.take() else {
            return Ok(());
        };
        if !self.config.global_fixtures {
            return Ok(());
        }
        let info = RunInfo {
            config: Arc::new(self.config.clone()),
            vars: self.vars.clone(),
        };
        call_global(f, &info).map_err(|source| Error::FixtureFailed {
            fixture: Fixture::GlobalSetup,
            worker: None,
            source,
        })
    }

    /// Runs `global_teardown` now instead of in [`Runner::run`] (the parent of a multi-process
    /// run, once every process ended); its failure is reported as a notice and returned.
    pub fn global_teardown(&mut self) -> Option<FixtureFailure> {
        let f = self.plan.fixtures.global_teardown.take()?;
        if !self.config.global_fixtures {
            return None;
        }
        let info = RunInfo {
            config: Arc::new(self.config.clone()),
            vars: self.vars.clone(),
        };
        let error = call_global(f, &info).err()?;
        let failure = FixtureFailure {
            fixture: Fixture::GlobalTeardown,
            worker: None,
            message: error.to_string(),
        };
        self.notices.send(Notice::FixtureFailed {
            fixture: Fixture::GlobalTeardown,
            worker: None,
            error,
        });
        Some(failure)
    }

    /// A sender of notices into this run's channel (for lines from other processes).
    pub fn notices(&self) -> Notices {
        self.notices.clone()
    }

    /// The scenarios that will run with their weights, in name order.
    pub fn scenario_weights(&self) -> Vec<(String, u32)> {
        let scenarios = self.catalog.scenarios.iter();
        scenarios
            .map(|s| (s.name().to_owned(), s.get_weight()))
            .collect()
    }

    /// The names of the scenarios that will run, in name order.
    pub fn scenario_names(&self) -> Vec<String> {
        let names = self.catalog.scenarios.iter().map(|s| s.name().to_owned());
        names.collect()
    }

    /// Runs the test until it runs out of work, its deadline, or `shutdown`.
    ///
    /// Returns `Err` only when `global_setup` fails (nothing else ran); other fixture failures
    /// stop the run gracefully and are listed in the [`Summary`].
    pub async fn run(self, shutdown: Shutdown) -> Result<Summary, Error> {
        LocalSet::new().run_until(self.run_local(shutdown)).await
    }

    async fn run_local(self, shutdown: Shutdown) -> Result<Summary, Error> {
        let Runner {
            plan,
            catalog,
            config,
            vars,
            progress,
            notices,
            receiver: _,
            sinks,
            busy,
        } = self;
        let Plan {
            mut fixtures,
            listeners,
            picker,
            background,
            ..
        } = plan;
        let info = RunInfo {
            config: Arc::new(config),
            vars,
        };
        let global_fixtures = info.config.global_fixtures;
        let global_teardown = fixtures.global_teardown.take();
        set_up(fixtures.global_setup.take(), &info, &shutdown).await?;

        let mut names: Vec<&str> = catalog.scenarios.iter().map(Scenario::name).collect();
        let unknown_index = names.len();
        if picker.is_some() {
            names.push(UNKNOWN_PICK);
        }
        let mut stats = Stats::new(&names);
        stats.set_request_key_limit(info.config.request_key_limit);
        let workers = info.config.workers.get();
        let seed = info.config.seed.unwrap_or_else(|| fastrand::u64(..));
        let listeners = Listeners::new(listeners);
        let env = Rc::new(SessionEnv {
            stats: RefCell::new(stats),
            listeners: listeners.clone(),
            notices: notices.clone(),
            info: info.clone(),
            tls: TlsContext::new(),
            sinks,
        });
        let start = Instant::now();
        let busy = busy.map(BusyMeter::start);
        let started_at = std::time::SystemTime::now();
        let pacing = pacing(&info.config, workers, start, &progress);
        let shared = Rc::new(Shared {
            pacing,
            catalog,
            fixtures,
            picker,
            env,
            shutdown: shutdown.clone(),
            progress: progress.clone(),
            loops: RefCell::default(),
            cancelled: Cell::new(0),
            fixture_failures: RefCell::default(),
            unknown_index,
            seed,
            busy,
        });

        notices.send(Notice::Preparing { workers });
        let mut helpers = beside::spawn_helpers(&shared, &listeners, &notices, start);
        let clock = Clock::start(&shared, start, &mut helpers);
        helpers.extend(beside::spawn_background(background, &shutdown));
        let (spawn, spawns) = mpsc::unbounded_channel::<usize>();
        helpers.extend(load::spawn_helpers(&shared, &spawn));
        drop(spawn);
        notices.send(Notice::Started);
        run_workers(&shared, workers, spawns).await;
        let elapsed = start.elapsed();
        beside::end_helpers(helpers, &shared);
        // The last, partial second; teardowns are not in the timeline.
        clock.close(&shared, Interval::Last);

        if global_fixtures {
            run_global_teardown(global_teardown, &info, &shared, &notices);
        }
        let report = shared.env.stats.borrow().report();
        finish_sinks(&shared, &report, elapsed);
        let fixture_failures = shared.fixture_failures.take();
        Ok(Summary {
            report,
            elapsed,
            stop: shutdown.cause(),
            max_workers: progress.max_workers(),
            cancelled: shared.cancelled.get(),
            fixture_failures,
            dropped_notices: progress.dropped_notices(),
            seed,
            crashed_processes: 0,
            arrivals: shared.pacing.arrival_summary(),
            started_at: Some(started_at),
            generator: shared.busy.as_ref().and_then(BusyMeter::load),
        })
    }
}

/// Hands the sinks the run's final statistics.
fn finish_sinks(shared: &Shared, report: &Report, elapsed: Duration) {
    if !shared.env.sinks.is_empty() {
        shared.env.sinks.finish(&Snapshot {
            report: &Arc::new(report.clone()),
            elapsed,
            progress: &shared.progress,
        });
    }
}

/// `global_setup` (where this process runs the global fixtures), then the wait for
/// `RunConfig::start_at`, cut short by a stop.
async fn set_up(
    global_setup: Option<GlobalFn>,
    info: &RunInfo,
    shutdown: &Shutdown,
) -> Result<(), Error> {
    if let (true, Some(f)) = (info.config.global_fixtures, global_setup) {
        call_global(f, info).map_err(|source| Error::FixtureFailed {
            fixture: Fixture::GlobalSetup,
            worker: None,
            source,
        })?;
    }
    if let Some(at) = info.config.start_at {
        // A time already past waits for nothing.
        let wait = at
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.stopped() => {}
        }
    }
    Ok(())
}

/// The first `workers`, and those the load's helpers ask for, until every worker ended (and,
/// with stages, no more will start).
async fn run_workers(
    shared: &Rc<Shared>,
    workers: usize,
    mut spawns: mpsc::UnboundedReceiver<usize>,
) {
    let mut set = JoinSet::new();
    for index in 0..workers {
        set.spawn_local(worker::run(shared.clone(), index));
    }
    loop {
        if set.is_empty() {
            // Nothing runs: the run is over, unless the stages start workers again.
            let more = matches!(&shared.pacing, Pacing::Staged(s) if !s.is_over());
            if !more || shared.shutdown.is_stopping() {
                break;
            }
            tokio::select! {
                index = spawns.recv() => match index {
                    Some(index) => {
                        set.spawn_local(worker::run(shared.clone(), index));
                    }
                    // The stages are over: nobody will ask for a worker again.
                    None => break,
                },
                () = shared.shutdown.stopped() => break,
            }
            continue;
        }
        tokio::select! {
            Some(index) = spawns.recv() => {
                set.spawn_local(worker::run(shared.clone(), index));
            }
            Some(done) = set.join_next() => {
                if let Err(e) = done {
                    shared
                        .env
                        .notices
                        .send(Notice::Warning(format!("a worker ended abnormally: {e}")));
                }
            }
        }
    }
}

/// The pacing the load model asks for.
fn pacing(config: &RunConfig, workers: usize, start: Instant, progress: &Arc<Progress>) -> Pacing {
    match &config.load {
        Load::Closed(None) => Pacing::Closed,
        Load::Closed(Some(stages)) => Pacing::Staged(Rc::new(Staffing::new(
            stages.clone(),
            workers,
            start,
            config.worker_slots(),
        ))),
        Load::Open(arrivals) => Pacing::Open(Rc::new(Timetable::new(
            arrivals.schedule.clone(),
            config.partition,
            arrivals.drop_late,
            workers,
            config.duration.and_then(|d| start.checked_add(d)),
            progress.clone(),
        ))),
    }
}

/// Calls a global fixture; a panic in it is its failure, of kind `"panic"`, as in any
/// other fixture.
fn call_global(f: GlobalFn, info: &RunInfo) -> Result<(), BoxError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| f(info)))
        .unwrap_or_else(|payload| Err(Box::new(Failure::from_panic(&*payload))))
}

fn run_global_teardown(
    teardown: Option<GlobalFn>,
    info: &RunInfo,
    shared: &Shared,
    notices: &Notices,
) {
    let Some(f) = teardown else { return };
    if let Err(error) = call_global(f, info) {
        shared.fixture_failures.borrow_mut().push(FixtureFailure {
            fixture: Fixture::GlobalTeardown,
            worker: None,
            message: error.to_string(),
        });
        notices.send(Notice::FixtureFailed {
            fixture: Fixture::GlobalTeardown,
            worker: None,
            error,
        });
    }
}
