//! `-p N`: the run split over N forked worker processes, shown and summed up as one.
//!
//! - `parent`: global fixtures, forking, following the children, stopping them all, the
//!   merged outcome.
//! - `child`: a worker process: its share of the workers, reported to the parent.
//! - `tally`: what the parent knows of each child, and adds up from them (live counters,
//!   statistics and figures, the outcome).
//! - `protocol`: the JSON-lines messages a child sends, and the command bytes (stop, abort)
//!   the parent sends on each child's control pipe.
//! - `fork`: `fork` itself (hosts may supply their own, see `HostHooks`).
//!
//! Worker ids are unique across processes: process `k` of `-w W` owns `k*W .. (k+1)*W`.

mod child;
mod fork;
mod parent;
mod protocol;
mod tally;

pub use fork::Forked;
pub(crate) use fork::fork;
pub(crate) use parent::run;
