//! [`Scenario`]: a named, weighted piece of user code a worker runs over and over, and
//! [`ScenarioFn`], the one seam through which any code becomes a scenario.
//!
//! A plain `async fn(Session) -> ScenarioResult` is a scenario through the blanket impl; the
//! Python adapter implements [`ScenarioFn`] itself to drive a coroutine. The futures need not
//! be `Send`: every worker of a process runs on one thread.

use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use crate::error::ScenarioResult;
use crate::session::Session;

/// Code that runs one scenario with a worker's session.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a scenario",
    note = "a scenario is an `async fn(Session) -> ScenarioResult` (or a closure returning such a future)"
)]
pub trait ScenarioFn {
    /// Starts one run.
    fn call(&self, session: Session) -> LocalBoxFuture<'static, ScenarioResult>;
}

impl<F, Fut> ScenarioFn for F
where
    F: Fn(Session) -> Fut,
    Fut: Future<Output = ScenarioResult> + 'static,
{
    fn call(&self, session: Session) -> LocalBoxFuture<'static, ScenarioResult> {
        Box::pin(self(session))
    }
}

/// A scenario: its name, weight, delay and code.
///
/// ```
/// use std::time::Duration;
/// use molotov_core::{Scenario, ScenarioResult, Session};
///
/// async fn home(session: Session) -> ScenarioResult {
///     session.get("http://127.0.0.1:8080/").send().await?;
///     Ok(())
/// }
/// let scenario = Scenario::new("home", home).weight(40).delay(Duration::from_millis(100));
/// assert_eq!(scenario.name(), "home");
/// ```
#[derive(Clone)]
pub struct Scenario {
    name: Arc<str>,
    weight: u32,
    delay: Duration,
    func: Rc<dyn ScenarioFn>,
}

impl Scenario {
    /// A scenario of weight 1 and no delay.
    pub fn new(name: impl Into<Arc<str>>, func: impl ScenarioFn + 'static) -> Self {
        Scenario {
            name: name.into(),
            weight: 1,
            delay: Duration::ZERO,
            func: Rc::new(func),
        }
    }

    /// How often it is picked relative to the others; 0 leaves it out (with a warning).
    #[must_use]
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// How long the worker pauses after a successful run, before the next one.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// The weight.
    pub fn get_weight(&self) -> u32 {
        self.weight
    }

    /// The pause after a successful run.
    pub fn get_delay(&self) -> Duration {
        self.delay
    }

    /// Starts one run of the scenario.
    pub fn run(&self, session: Session) -> LocalBoxFuture<'static, ScenarioResult> {
        self.func.call(session)
    }
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}
