//! Errors that stop a run before or outside the load itself, and the error types of user code.
//!
//! A failed scenario or request is not an [`Error`]: it is counted and the run goes on. An
//! [`Error`] means the test cannot start (no scenario, an unknown `-s` name, a duplicate) or a
//! fixture failed.

use std::borrow::Cow;
use std::fmt;

/// Any error user code returns; `?` converts anything that implements `std::error::Error`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a scenario returns: `Ok(())` counts a success, `Err` a failure.
pub type ScenarioResult = Result<(), BoxError>;

/// Why a run could not start or was stopped by a fixture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plan has no scenario with a positive weight.
    #[error("no scenario to run: a load test needs at least one scenario with a weight above 0")]
    NoScenario,
    /// Two scenarios have the same name.
    #[error("two scenarios are named {name:?}; scenario names must be unique")]
    DuplicateScenario {
        /// The repeated name.
        name: String,
    },
    /// `-s NAME` names no scenario.
    #[error("no scenario named {name:?} (scenarios: {known})")]
    UnknownScenario {
        /// The name asked for.
        name: String,
        /// The names that exist, comma-separated.
        known: String,
    },
    /// A fixture was registered twice.
    #[error("the {fixture} fixture is defined twice; there can be only one")]
    DuplicateFixture {
        /// Which fixture.
        fixture: Fixture,
    },
    /// A fixture raised; the run stopped (see the crate docs for what still ran).
    #[error("the {fixture} fixture failed{}: {source}", worker_suffix(*.worker))]
    FixtureFailed {
        /// Which fixture.
        fixture: Fixture,
        /// The worker it ran for, if it is a per-worker fixture.
        worker: Option<usize>,
        /// What it raised.
        #[source]
        source: BoxError,
    },
}

fn worker_suffix(worker: Option<usize>) -> String {
    worker
        .map(|w| format!(" for worker {w}"))
        .unwrap_or_default()
}

/// The fixtures, in the order a run calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fixture {
    /// Once, before any worker.
    GlobalSetup,
    /// Once per worker, before its session exists; returns the session options.
    Setup,
    /// Once per worker, after its session is created.
    SetupSession,
    /// Once per worker, before its session is closed.
    TeardownSession,
    /// Once per worker, after its session is closed.
    Teardown,
    /// Once, after every worker.
    GlobalTeardown,
}

impl Fixture {
    /// The fixture of that Molotov name.
    pub fn from_name(name: &str) -> Option<Fixture> {
        [
            Fixture::GlobalSetup,
            Fixture::Setup,
            Fixture::SetupSession,
            Fixture::TeardownSession,
            Fixture::Teardown,
            Fixture::GlobalTeardown,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }

    /// The Molotov name of the fixture (`"setup_session"`).
    pub const fn name(self) -> &'static str {
        match self {
            Fixture::GlobalSetup => "global_setup",
            Fixture::Setup => "setup",
            Fixture::SetupSession => "setup_session",
            Fixture::TeardownSession => "teardown_session",
            Fixture::Teardown => "teardown",
            Fixture::GlobalTeardown => "global_teardown",
        }
    }
}

impl fmt::Display for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A classified failure for scenario code to return: the kind is what the statistics count
/// (`"assertion"`, `"AssertionError"`, `"bad-status"`), the message is what the console shows.
///
/// ```
/// use molotov_core::{Failure, ScenarioResult};
/// fn check(status: u16) -> ScenarioResult {
///     if status != 200 {
///         return Err(Failure::new("bad-status", format!("expected 200, got {status}")).into());
///     }
///     Ok(())
/// }
/// assert!(check(500).is_err());
/// ```
#[derive(Debug)]
pub struct Failure {
    kind: Cow<'static, str>,
    message: Cow<'static, str>,
    detail: Option<String>,
    /// What an adapter needs to hand the original error back to its user code (the Python
    /// exception object, for the `scenario_failure` event).
    payload: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl Failure {
    /// A failure of `kind` with a message.
    pub fn new(kind: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Failure {
            kind: kind.into(),
            message: message.into(),
            detail: None,
            payload: None,
        }
    }

    /// Adds a longer explanation (a traceback), shown with `-v`.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// A failure of kind `"panic"` with the panic's message, from a caught panic's payload.
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        Failure::new("panic", message)
    }

    /// Attaches the original error in the adapter's own form (a Python exception).
    #[must_use]
    pub fn with_payload(mut self, payload: impl std::any::Any + Send + Sync) -> Self {
        self.payload = Some(Box::new(payload));
        self
    }

    /// The original error attached by an adapter, if it is a `T`.
    pub fn payload<T: std::any::Any>(&self) -> Option<&T> {
        self.payload.as_deref()?.downcast_ref()
    }

    /// The kind counted in the statistics.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The longer explanation, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The kind under which a scenario error is counted: the HTTP error kind (`"connect"`,
/// `"timeout"`...), a [`Failure`]'s kind, or `"error"` for anything else. Never allocates.
pub fn failure_kind<'e>(error: &'e (dyn std::error::Error + 'static)) -> &'e str {
    if let Some(http) = error.downcast_ref::<molotov_http::Error>() {
        http.kind_name()
    } else if let Some(failure) = error.downcast_ref::<Failure>() {
        failure.kind()
    } else {
        "error"
    }
}

/// One line for an error: its message and those of its causes, `: `-separated (a cause whose
/// text is already in the line is left out). What summaries show as a failure's sample.
///
/// ```
/// # use molotov_core::error_message;
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
/// let error = molotov_core::http::Error::new(molotov_core::http::Kind::Connect)
///     .with_context("127.0.0.1:9".into())
///     .with_source(io);
/// assert_eq!(error_message(&error), "cannot connect (127.0.0.1:9): connection refused");
/// ```
pub fn error_message(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// Fails with a [`Failure`] of kind `"assertion"` when the condition is false, like Python's
/// `assert` in a Molotov scenario.
///
/// ```
/// # use molotov_core::{ensure, ScenarioResult};
/// fn check(status: u16) -> ScenarioResult {
///     ensure!(status == 200, "expected 200, got {status}");
///     Ok(())
/// }
/// assert_eq!(check(500).unwrap_err().to_string(), "expected 200, got 500");
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            // Boxed as a `BoxError`, not a `Box<Failure>`: in an `async` block the first
            // `return` fixes the block's error type, and scenarios return `ScenarioResult`.
            return ::core::result::Result::Err($crate::BoxError::from($crate::Failure::new(
                "assertion",
                concat!("assertion failed: ", stringify!($cond)),
            )));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return ::core::result::Result::Err($crate::BoxError::from($crate::Failure::new(
                "assertion",
                format!($($fmt)+),
            )));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_error_type() {
        let failure: BoxError = Box::new(Failure::new("AssertionError", "boom"));
        assert_eq!(failure_kind(&*failure), "AssertionError");
        let other: BoxError = "plain".into();
        assert_eq!(failure_kind(&*other), "error");
    }

    #[test]
    fn fixture_failures_name_the_fixture_and_worker() {
        let err = Error::FixtureFailed {
            fixture: Fixture::Setup,
            worker: Some(3),
            source: "no token".into(),
        };
        assert_eq!(
            err.to_string(),
            "the setup fixture failed for worker 3: no token"
        );
    }
}
