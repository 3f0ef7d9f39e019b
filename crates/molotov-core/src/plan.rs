//! [`Plan`]: everything a load test defines (scenarios, fixtures, listeners, a picker), built
//! with plain functions; the attribute macros of the `molotov` crate only write these calls.
//!
//! Fixtures, in the order a run calls them:
//! `global_setup` → per worker: `setup` → session → `setup_session` → scenarios →
//! `teardown_session` → session closed → `teardown` → `global_teardown`.

use std::future::Future;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use crate::config::RunInfo;
use crate::error::{BoxError, Error, Fixture};
use crate::event::Listener;
use crate::scenario::Scenario;
use crate::session::{Session, SessionOptions};
use crate::shutdown::Shutdown;

/// What `setup` returns: options for the worker's session, or `None` for the defaults.
pub type SetupResult = Result<Option<SessionOptions>, BoxError>;

pub(crate) type GlobalFn = Box<dyn FnOnce(&RunInfo) -> Result<(), BoxError>>;
pub(crate) type SetupFn = Rc<dyn Fn(usize, RunInfo) -> LocalBoxFuture<'static, SetupResult>>;
pub(crate) type SessionFn =
    Rc<dyn Fn(usize, Session) -> LocalBoxFuture<'static, Result<(), BoxError>>>;
pub(crate) type TeardownFn = Rc<dyn Fn(usize) -> Result<(), BoxError>>;
pub(crate) type PickerFn = Rc<dyn Fn(usize, u64) -> String>;
pub(crate) type BackgroundFn = Box<dyn FnOnce(Shutdown) -> LocalBoxFuture<'static, ()>>;

/// The fixtures of a plan.
#[derive(Default)]
pub(crate) struct Fixtures {
    pub(crate) global_setup: Option<GlobalFn>,
    pub(crate) setup: Option<SetupFn>,
    pub(crate) setup_session: Option<SessionFn>,
    pub(crate) teardown_session: Option<SessionFn>,
    pub(crate) teardown: Option<TeardownFn>,
    pub(crate) global_teardown: Option<GlobalFn>,
}

/// A load test: scenarios, fixtures, listeners and an optional scenario picker.
///
/// ```
/// use molotov_core::{Plan, Scenario, ScenarioResult, Session, SessionOptions};
///
/// async fn home(session: Session) -> ScenarioResult {
///     session.get("http://127.0.0.1:8080/").send().await?;
///     Ok(())
/// }
/// let plan = Plan::new()
///     .scenario(Scenario::new("home", home).weight(40))
///     .setup(|_worker, _info| async { Ok(Some(SessionOptions::default())) })
///     .teardown(|worker| {
///         println!("worker {worker} is done");
///         Ok(())
///     });
/// # let _ = plan;
/// ```
#[derive(Default)]
#[must_use]
pub struct Plan {
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) fixtures: Fixtures,
    pub(crate) listeners: Vec<Rc<dyn Listener>>,
    pub(crate) picker: Option<PickerFn>,
    pub(crate) background: Vec<BackgroundFn>,
    /// Mistakes seen while building (a fixture given twice), reported when the run starts.
    pub(crate) mistakes: Vec<Error>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Plan::default()
    }

    /// Adds a scenario.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// Runs once before any worker starts. Its failure stops the run before it begins.
    pub fn global_setup(
        mut self,
        f: impl FnOnce(&RunInfo) -> Result<(), BoxError> + 'static,
    ) -> Self {
        let slot = &mut self.fixtures.global_setup;
        set_once(slot, Box::new(f), Fixture::GlobalSetup, &mut self.mistakes);
        self
    }

    /// Runs once per worker, before its session exists; what it returns configures the
    /// session.
    pub fn setup<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(usize, RunInfo) -> Fut + 'static,
        Fut: Future<Output = SetupResult> + 'static,
    {
        let boxed: SetupFn = Rc::new(move |worker, info| Box::pin(f(worker, info)));
        set_once(
            &mut self.fixtures.setup,
            boxed,
            Fixture::Setup,
            &mut self.mistakes,
        );
        self
    }

    /// Runs once per worker, after its session is created.
    pub fn setup_session<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(usize, Session) -> Fut + 'static,
        Fut: Future<Output = Result<(), BoxError>> + 'static,
    {
        let boxed: SessionFn = Rc::new(move |worker, session| Box::pin(f(worker, session)));
        let slot = &mut self.fixtures.setup_session;
        set_once(slot, boxed, Fixture::SetupSession, &mut self.mistakes);
        self
    }

    /// Runs once per worker, before its session is closed.
    pub fn teardown_session<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(usize, Session) -> Fut + 'static,
        Fut: Future<Output = Result<(), BoxError>> + 'static,
    {
        let boxed: SessionFn = Rc::new(move |worker, session| Box::pin(f(worker, session)));
        let slot = &mut self.fixtures.teardown_session;
        set_once(slot, boxed, Fixture::TeardownSession, &mut self.mistakes);
        self
    }

    /// Runs once per worker, after its session is closed.
    pub fn teardown(mut self, f: impl Fn(usize) -> Result<(), BoxError> + 'static) -> Self {
        let slot = &mut self.fixtures.teardown;
        set_once(slot, Rc::new(f), Fixture::Teardown, &mut self.mistakes);
        self
    }

    /// Runs once after every worker is done, even after an interruption.
    pub fn global_teardown(
        mut self,
        f: impl FnOnce(&RunInfo) -> Result<(), BoxError> + 'static,
    ) -> Self {
        let slot = &mut self.fixtures.global_teardown;
        set_once(
            slot,
            Box::new(f),
            Fixture::GlobalTeardown,
            &mut self.mistakes,
        );
        self
    }

    /// Chooses each run's scenario by name from the worker id and the run number (1 for the
    /// first) instead of by weight.
    pub fn scenario_picker(mut self, f: impl Fn(usize, u64) -> String + 'static) -> Self {
        self.picker = Some(Rc::new(f));
        self
    }

    /// Receives every event of the run.
    pub fn listener(mut self, listener: impl Listener + 'static) -> Self {
        self.listeners.push(Rc::new(listener));
        self
    }

    /// A task that runs beside the workers for the whole run (after `global_setup`, until
    /// every worker is done), on the workers' thread: for an adapter's event loop.
    pub fn background(
        mut self,
        f: impl FnOnce(Shutdown) -> LocalBoxFuture<'static, ()> + 'static,
    ) -> Self {
        self.background.push(Box::new(f));
        self
    }

    /// Adds everything `other` defines (an extension's fixtures and listeners).
    pub fn merge(mut self, other: Plan) -> Self {
        self.scenarios.extend(other.scenarios);
        self.listeners.extend(other.listeners);
        self.background.extend(other.background);
        self.mistakes.extend(other.mistakes);
        if other.picker.is_some() {
            self.picker = other.picker;
        }
        let f = other.fixtures;
        let m = &mut self.mistakes;
        let mine = &mut self.fixtures;
        merge_slot(
            &mut mine.global_setup,
            f.global_setup,
            Fixture::GlobalSetup,
            m,
        );
        merge_slot(&mut mine.setup, f.setup, Fixture::Setup, m);
        merge_slot(
            &mut mine.setup_session,
            f.setup_session,
            Fixture::SetupSession,
            m,
        );
        merge_slot(
            &mut mine.teardown_session,
            f.teardown_session,
            Fixture::TeardownSession,
            m,
        );
        merge_slot(&mut mine.teardown, f.teardown, Fixture::Teardown, m);
        merge_slot(
            &mut mine.global_teardown,
            f.global_teardown,
            Fixture::GlobalTeardown,
            m,
        );
        self
    }

    /// The scenarios, in the order they were added.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, fixture: Fixture, mistakes: &mut Vec<Error>) {
    if slot.is_some() {
        mistakes.push(Error::DuplicateFixture { fixture });
    }
    *slot = Some(value);
}

fn merge_slot<T>(slot: &mut Option<T>, value: Option<T>, fixture: Fixture, m: &mut Vec<Error>) {
    if let Some(value) = value {
        set_once(slot, value, fixture, m);
    }
}
