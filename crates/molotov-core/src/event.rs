//! Events: what Molotov's `@events()` handlers receive, and the [`Listener`]s that receive them.
//!
//! Events borrow what they describe, so building one costs nothing; and the engine checks
//! [`Listeners::is_empty`] before building any, so a run without listeners pays one branch.
//! Listeners are called one after the other, inline, as in Molotov: a slow listener slows the
//! load, which is why the console and statistics are not listeners.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;

use crate::error::{BoxError, Failure};
use crate::notice::{Notice, Notices};
use crate::scenario::Scenario;
use crate::session::{Request, Response, Session};

/// Something that happened during a run.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A request is about to be sent.
    SendingRequest {
        /// The worker's session.
        session: &'a Session,
        /// The request.
        request: &'a Request,
    },
    /// A response was received (not sent for a request that failed without one).
    ResponseReceived {
        /// The worker's session.
        session: &'a Session,
        /// The request (the same one `SendingRequest` had).
        request: &'a Request,
        /// The response.
        response: &'a Response,
    },
    /// Once a second: how many workers are running.
    CurrentWorkers {
        /// Active workers in this process.
        workers: usize,
    },
    /// A worker starts a scenario run.
    ScenarioStart {
        /// The scenario.
        scenario: &'a Scenario,
        /// The worker id.
        worker: usize,
    },
    /// A scenario run succeeded (before the scenario's delay).
    ScenarioSuccess {
        /// The scenario.
        scenario: &'a Scenario,
        /// The worker id.
        worker: usize,
    },
    /// A scenario run failed.
    ScenarioFailure {
        /// The scenario.
        scenario: &'a Scenario,
        /// The worker id.
        worker: usize,
        /// What it failed with.
        error: &'a (dyn std::error::Error + Send + Sync + 'static),
    },
}

impl Event<'_> {
    /// The Molotov name of the event (`"sending_request"`...).
    pub fn name(&self) -> &'static str {
        match self {
            Event::SendingRequest { .. } => "sending_request",
            Event::ResponseReceived { .. } => "response_received",
            Event::CurrentWorkers { .. } => "current_workers",
            Event::ScenarioStart { .. } => "scenario_start",
            Event::ScenarioSuccess { .. } => "scenario_success",
            Event::ScenarioFailure { .. } => "scenario_failure",
        }
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a listener did with an event.
pub enum Reaction {
    /// Handled.
    Done,
    /// Handling failed; the engine reports it and carries on.
    Failed(BoxError),
    /// Handling goes on asynchronously; the engine awaits it before continuing.
    Later(LocalBoxFuture<'static, Result<(), BoxError>>),
}

/// Receives every event of a run.
pub trait Listener {
    /// Called for each event, in order, inline with the load.
    fn on_event(&self, event: &Event<'_>) -> Reaction;
}

impl<F> Listener for F
where
    F: Fn(&Event<'_>) -> Result<(), BoxError>,
{
    fn on_event(&self, event: &Event<'_>) -> Reaction {
        match self(event) {
            Ok(()) => Reaction::Done,
            Err(e) => Reaction::Failed(e),
        }
    }
}

/// The listeners of a run, called in registration order.
#[derive(Clone, Default)]
pub struct Listeners {
    list: Rc<[Rc<dyn Listener>]>,
}

impl Listeners {
    pub(crate) fn new(list: Vec<Rc<dyn Listener>>) -> Self {
        Listeners { list: list.into() }
    }

    /// Whether nobody listens (then events are not even built).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sends `event` to every listener; a listener's failure (or panic) is reported and the
    /// others still get the event. A panic must not escape: the caller is a worker's loop, a
    /// request in a scenario, or the `current_workers` ticker.
    pub(crate) async fn emit(&self, event: &Event<'_>, notices: &Notices) {
        let panicked = |payload: Box<dyn std::any::Any + Send>| -> BoxError {
            Box::new(Failure::from_panic(&*payload))
        };
        for listener in self.list.iter() {
            let reaction = catch_unwind(AssertUnwindSafe(|| listener.on_event(event)))
                .unwrap_or_else(|payload| Reaction::Failed(panicked(payload)));
            let failed = match reaction {
                Reaction::Done => continue,
                Reaction::Failed(e) => e,
                Reaction::Later(fut) => match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => e,
                    Err(payload) => panicked(payload),
                },
            };
            notices.send(Notice::ListenerFailed {
                event: event.name(),
                error: failed,
            });
        }
    }
}
