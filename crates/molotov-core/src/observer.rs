//! [`Observer`]: sees every request and scenario run as the engine records it, with its
//! outcome and duration, on the worker's thread. Metrics exporters (statsd) are observers; the
//! engine knows none of them.

use std::time::Duration;

/// How a request or a scenario run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A request answered with this status.
    Status(u16),
    /// A scenario run that succeeded.
    Success,
    /// A request without a response, or a failed scenario run: the kind of failure
    /// (`connect`, `timeout`, `AssertionError`...).
    Failure(&'a str),
}

/// Sees what the engine records. Called inline on the worker's thread, so it must be quick
/// and must not block (buffer, and send in [`Observer::flush`]).
pub trait Observer {
    /// A request ended: its method, its key (the name given with `.name()`, or the URL
    /// path: the same grouping as the statistics), its outcome and its duration.
    fn request(&self, method: &str, key: &str, outcome: Outcome<'_>, elapsed: Duration);

    /// A scenario run ended.
    fn scenario(&self, scenario: &str, outcome: Outcome<'_>, elapsed: Duration);

    /// Called once a second and at the end of the run: send what is buffered.
    fn flush(&self) {}
}
