//! A worker: its fixtures around the one scenario loop.
//!
//! `run` does what Molotov's worker does: wait for its ramp-up slot, `setup`, create the
//! session, `setup_session`, loop over scenarios, `teardown_session`, close, `teardown`. The
//! loop is its own task so that an abort (a second Ctrl-C, the end of `--graceful-stop`)
//! can cancel the scenario in flight while the teardowns still run.
//!
//! The loop is the only loop: picking is a [`Picker`] value, stopping is the shared
//! [`Shutdown`](crate::Shutdown) plus `max_runs`, pacing is the scenario's and the run's delay.

use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use molotov_stats::Timing;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::busy::BusyMeter;
use crate::config::RunConfig;
use crate::error::{BoxError, Failure, Fixture, error_message, failure_kind};
use crate::event::Event;
use crate::notice::Notice;
use crate::pacing::{Next, Pacing, Staffing, Timetable};
use crate::picker::{Catalog, Pick};
use crate::plan::{Fixtures, PickerFn};
use crate::progress::Progress;
use crate::session::{Session, SessionEnv, SessionOptions};
use crate::shutdown::{Shutdown, StopCause};
use crate::sink::Outcome;
use crate::summary::FixtureFailure;

/// What every worker of a run shares (one thread, so `Rc` and `Cell`s).
pub(crate) struct Shared {
    /// When each worker's next run starts (closed or open model).
    pub(crate) pacing: Pacing,
    pub(crate) catalog: Catalog,
    pub(crate) fixtures: Fixtures,
    pub(crate) picker: Option<PickerFn>,
    pub(crate) env: Rc<SessionEnv>,
    pub(crate) shutdown: Shutdown,
    pub(crate) progress: Arc<Progress>,
    /// The scenario loops, to cancel on abort.
    pub(crate) loops: RefCell<Vec<AbortHandle>>,
    /// Scenario runs cancelled in flight.
    pub(crate) cancelled: Cell<u64>,
    pub(crate) fixture_failures: RefCell<Vec<FixtureFailure>>,
    /// The statistics index that runs of an unknown picked name are counted under.
    pub(crate) unknown_index: usize,
    pub(crate) seed: u64,
    /// How busy this thread is, when the host can tell.
    pub(crate) busy: Option<BusyMeter>,
}

impl Shared {
    fn config(&self) -> &RunConfig {
        &self.env.info.config
    }

    fn fixture_failed(&self, fixture: Fixture, worker: usize, error: BoxError) {
        self.fixture_failures.borrow_mut().push(FixtureFailure {
            fixture,
            worker: Some(worker),
            message: error.to_string(),
        });
        self.env.notices.send(Notice::FixtureFailed {
            fixture,
            worker: Some(worker),
            error,
        });
    }
}

/// Runs worker `index` of this process from its ramp-up pause to its teardown.
pub(crate) async fn run(shared: Rc<Shared>, index: usize) {
    let alive = Alive::new(&shared.pacing, index);
    let config = shared.config();
    let id = config.first_worker_id + index;
    let notices = &shared.env.notices;
    notices.send(Notice::WorkerStarting(id));
    // An open-model worker: one of the first (the schedule starts once they are all set up),
    // or one added for runs waiting (they are its own until it is set up).
    let open = match &shared.pacing {
        Pacing::Open(timetable) => Some((timetable.clone(), index < config.workers.get())),
        _ => None,
    };
    // The closed model's ramp-up (the other models pace their workers themselves).
    let ramp = match shared.pacing {
        Pacing::Closed => config.ramp_delay(index),
        _ => Duration::ZERO,
    };
    if !ramp.is_zero() && !pause(&shared.shutdown, ramp).await {
        set_up(open.as_ref());
        return;
    }
    if shared.shutdown.is_stopping() {
        set_up(open.as_ref());
        return;
    }
    shared.progress.worker_started();
    let session = start_session(&shared, id).await;
    set_up(open.as_ref());
    if let Some(session) = session {
        notices.send(Notice::RunningScenarios(id));
        let in_flight = Rc::new(Cell::new(false));
        let looped = tokio::task::spawn_local(scenario_loop(
            shared.clone(),
            session.clone(),
            in_flight.clone(),
            index,
        ));
        shared.loops.borrow_mut().push(looped.abort_handle());
        if shared.shutdown.is_aborted() {
            looped.abort();
        }
        if let Err(e) = looped.await {
            if e.is_cancelled() && in_flight.get() {
                shared.cancelled.set(shared.cancelled.get() + 1);
            } else if e.is_panic() {
                // Scenario panics are caught per run; this would be an engine bug.
                notices.send(Notice::Warning(format!(
                    "worker {id}: the scenario loop panicked"
                )));
            }
        }
        notices.send(Notice::WorkerDone(id));
        if let Some(f) = &shared.fixtures.teardown_session {
            if let Err(e) = guarded(|| f(id, session.clone())).await {
                shared.fixture_failed(Fixture::TeardownSession, id, e);
            }
        }
        session.close();
    }
    if let Some(f) = &shared.fixtures.teardown {
        if let Err(e) = guarded(|| std::future::ready(f(id))).await {
            shared.fixture_failed(Fixture::Teardown, id, e);
        }
    }
    shared.progress.worker_stopped();
    drop(alive);
}

/// An open-model worker is set up (or gave up): `true` for one of the first.
fn set_up(open: Option<&(Rc<Timetable>, bool)>) {
    match open {
        Some((timetable, true)) => timetable.set_up(),
        Some((timetable, false)) => timetable.added_set_up(),
        None => {}
    }
}

/// Marks a staged worker's slot as taken while the worker lives, so the stage controller
/// starts another in it only once it ended.
struct Alive(Option<(Rc<Staffing>, usize)>);

impl Alive {
    fn new(pacing: &Pacing, slot: usize) -> Self {
        let Pacing::Staged(staffing) = pacing else {
            return Alive(None);
        };
        if let Some(alive) = staffing.alive.borrow_mut().get_mut(slot) {
            *alive = true;
        }
        Alive(Some((staffing.clone(), slot)))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        if let Some((staffing, slot)) = &self.0 {
            if let Some(alive) = staffing.alive.borrow_mut().get_mut(*slot) {
                *alive = false;
            }
        }
    }
}

/// `setup`, the session, `setup_session`; `None` (and the run stopping) if a fixture failed.
async fn start_session(shared: &Rc<Shared>, id: usize) -> Option<Session> {
    let options = match &shared.fixtures.setup {
        Some(f) => match guarded(|| f(id, shared.env.info.clone())).await {
            Ok(options) => options.unwrap_or_default(),
            Err(e) => {
                shared.fixture_failed(Fixture::Setup, id, e);
                shared.shutdown.stop(StopCause::FixtureFailed);
                return None;
            }
        },
        None => SessionOptions::default(),
    };
    shared.env.notices.send(Notice::SettingUpSession(id));
    let session = Session::new(id, options, shared.env.clone());
    if let Some(f) = &shared.fixtures.setup_session {
        if let Err(e) = guarded(|| f(id, session.clone())).await {
            shared.fixture_failed(Fixture::SetupSession, id, e);
            shared.shutdown.stop(StopCause::FixtureFailed);
            session.close();
            return None;
        }
    }
    Some(session)
}

/// The scenario loop of one worker.
async fn scenario_loop(
    shared: Rc<Shared>,
    session: Session,
    in_flight: Rc<Cell<bool>>,
    slot: usize,
) {
    let config = shared.config();
    let id = session.worker_id();
    let seed = worker_seed(shared.seed, id);
    let custom = shared.picker.as_ref();
    let Ok(mut picker) = shared.catalog.picker(&config.mode, custom, seed) else {
        // The runner validated the mode before starting any worker.
        return;
    };
    let max_runs = config.max_runs.map_or(u64::MAX, std::num::NonZeroU64::get);
    let env = &*shared.env;
    let mut step = 0u64;
    while step < max_runs && !shared.shutdown.is_stopping() {
        let late = match shared.pacing.next(slot, &shared.shutdown).await {
            Next::Run(late) => late,
            Next::Stop => break,
        };
        let lag = late.map(|l| l.lag);
        step += 1;
        session.context().set_step(step);
        session.context().set_lag(lag);
        let index = match picker.next(&shared.catalog, id, step) {
            Pick::Run(index) => index,
            Pick::Done => break,
            Pick::Unknown(name) => {
                unknown_pick(&shared, id, &name);
                tokio::task::consume_budget().await;
                continue;
            }
        };
        let scenario = &shared.catalog.scenarios[index];
        if !env.listeners.is_empty() {
            let event = Event::ScenarioStart {
                scenario,
                worker: id,
            };
            env.listeners.emit(&event, &env.notices).await;
        }
        in_flight.set(true);
        let start = late.map_or_else(Instant::now, |l| l.now);
        let result = guarded(|| scenario.run(session.clone())).await;
        let timing = Timing {
            service: start.elapsed(),
            lag,
        };
        let elapsed = timing.latency();
        in_flight.set(false);
        let mut delay = config.delay;
        match result {
            Ok(()) => {
                env.stats.borrow_mut().scenario_success(index, timing);
                env.sinks
                    .scenario(scenario.name(), Outcome::Success, elapsed);
                shared.progress.success();
                if !env.listeners.is_empty() {
                    let event = Event::ScenarioSuccess {
                        scenario,
                        worker: id,
                    };
                    env.listeners.emit(&event, &env.notices).await;
                }
                delay = delay.saturating_add(scenario.get_delay());
            }
            Err(error) => failed(&shared, index, id, timing, error).await,
        }
        if step.is_multiple_of(10) {
            env.notices.send(Notice::Ran {
                worker: id,
                runs: step,
            });
        }
        // The open model's schedule sets the pace: no pause after a run there.
        if delay.is_zero() || shared.pacing.is_open() {
            // Scenarios that never wait (all-CPU, or answered from a buffer) must still let
            // the other workers, the timers and the signal handler run.
            tokio::task::consume_budget().await;
        } else if !pause(&shared.shutdown, delay).await {
            break;
        }
    }
}

/// A failed run of scenario `index` by worker `id`: recorded, observed, told, and the run
/// stopped with `-x`.
async fn failed(shared: &Shared, index: usize, id: usize, timing: Timing, error: BoxError) {
    let env = &*shared.env;
    let scenario = &shared.catalog.scenarios[index];
    let kind = failure_kind(&*error);
    env.stats
        .borrow_mut()
        .scenario_failure(index, kind, timing, || error_message(&*error));
    env.sinks
        .scenario(scenario.name(), Outcome::Failure(kind), timing.latency());
    shared.progress.failure();
    if shared.progress.take_failure_wish() {
        let text = format!("{kind}: {}", error_message(&*error));
        shared.progress.set_last_failure(text);
    }
    if !env.listeners.is_empty() {
        let event = Event::ScenarioFailure {
            scenario,
            worker: id,
            error: &*error,
        };
        env.listeners.emit(&event, &env.notices).await;
    }
    env.notices.send(Notice::Failure {
        worker: id,
        scenario: scenario.shared_name().clone(),
        error,
    });
    if shared.config().fail_fast {
        shared.shutdown.stop(StopCause::FailFast);
    }
}

fn unknown_pick(shared: &Shared, id: usize, name: &str) {
    let message = format!("the scenario picker returned {name:?}, which is not a scenario");
    let env = &shared.env;
    env.stats.borrow_mut().scenario_failure(
        shared.unknown_index,
        "unknown-scenario",
        Duration::ZERO,
        || message.clone(),
    );
    shared.progress.failure();
    env.notices.send(Notice::Failure {
        worker: id,
        scenario: crate::picker::UNKNOWN_PICK.into(),
        error: Box::new(Failure::new("unknown-scenario", message)),
    });
    if shared.config().fail_fast {
        shared.shutdown.stop(StopCause::FailFast);
    }
}

/// Sleeps for `d` unless a stop comes first; `false` if it did.
async fn pause(shutdown: &Shutdown, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = shutdown.stopped() => false,
    }
}

/// Runs user code, turning a panic into a failure of kind `"panic"` so one bad run does not
/// take the worker down. It takes the call, not its future: user code may panic while making
/// the future (a plain closure's body, an adapter's `ScenarioFn::call`), not only when it is
/// polled.
async fn guarded<T, Fut>(call: impl FnOnce() -> Fut) -> Result<T, BoxError>
where
    Fut: std::future::Future<Output = Result<T, BoxError>>,
{
    match AssertUnwindSafe(async move { call().await })
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(payload) => Err(Box::new(Failure::from_panic(&*payload))),
    }
}

/// The picking seed of worker `id`: the run's seed mixed with the id (the `SplitMix64` finaliser),
/// so no two workers, and no worker of another run with a nearby seed, share a sequence.
fn worker_seed(seed: u64, id: usize) -> u64 {
    let mut z = seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
