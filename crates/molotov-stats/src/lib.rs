//! Counters and exact, mergeable latency histograms for molotov load tests.
//!
//! Pure data: no I/O, no async runtime, no clock (callers pass the `Duration`s they measured).
//!
//! # Map
//!
//! - `stats`: [`Stats`], the recorder one worker thread owns and calls on the hot path
//!   (scenarios by index, requests by method and key). No locks: one owner per `Stats`.
//! - `requests`: the method -> key -> entry table behind `Stats`, with the cardinality guard
//!   that sends keys past the limit to `"(other)"`.
//! - `entry`: [`Entry`], the live [`Counts`] and [`Latency`] of one tracked thing, and its
//!   conversion to an [`EntryReport`].
//! - `counts`: [`Counts`], successes, failures, HTTP statuses and error kinds in small vectors.
//! - `latency`: [`Latency`], an HDR histogram in microseconds whose merge is exact and whose
//!   JSON form keeps every bucket.
//! - `timeline`: [`Timeline`], the run interval by interval ([`Interval`]: runs, requests by
//!   status class and error kind, workers, the open model's schedule, the generator's busy
//!   share, a 2-digit latency [`Spread`]), at most [`MAX_INTERVALS`] kept (the interval
//!   doubles past that), merged by wall-clock second.
//! - `spread`: [`Spread`], an interval's latency histogram as its non-empty buckets only.
//! - `sockets`: [`SocketReport`], the web sockets of one name (opened, closed, failures by
//!   kind, messages and bytes each way, open durations).
//! - `report`: [`Report`] and [`EntryReport`], the versioned ([`REPORT_FORMAT`]), serde-ready,
//!   mergeable results document, and [`MergeError`].
//!
//! # Data flow
//!
//! Worker thread: `Stats::scenario_*` / `Stats::request_*` update an `Entry` in place ->
//! periodically or at the end `Stats::report()` snapshots into a `Report` (optionally followed
//! by `Stats::reset()` for interval views) -> the report is shipped as JSON between processes
//! or machines -> `Report::merge` adds them up (counts add, histograms merge sample-exact) ->
//! `Report::totals` / `EntryReport::rate` feed the summary.

mod counts;
mod entry;
mod latency;
mod report;
mod requests;
mod sockets;
mod spread;
mod stats;
mod timeline;

pub use counts::Counts;
pub use entry::{Entry, Timing, Transfer};
pub use latency::Latency;
pub use report::{EntryReport, MergeError, REPORT_FORMAT, Report, TransferReport};
pub use sockets::SocketReport;
pub use spread::Spread;
pub use stats::Stats;
pub use timeline::{Gauges, Interval, IntervalArrivals, MAX_INTERVALS, Timeline};
