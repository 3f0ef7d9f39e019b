//! [`FailingWatch`]: tells a live view when every run is failing (the target is down, the port
//! is wrong, the script is broken), so that one line says so instead of hundreds of failure
//! lines scrolling by.
//!
//! It reads the run's counters at each refresh: the run is failing when no run succeeded while
//! at least [`RUNS`] failed (100 % of the last 100 runs), or when nothing succeeded at all and a
//! few runs failed in the first [`EARLY`]. It speaks once per failing stretch: a success ends
//! the stretch.

use std::time::Duration;

use molotov_core::Progress;

/// Runs that must fail in a row, with no success, before the run is called failing.
pub(crate) const RUNS: u64 = 100;
/// Early on, this many failures and no success are enough...
const EARLY_RUNS: u64 = 3;
/// ...once the run is this old.
const EARLY: Duration = Duration::from_secs(2);

/// Watches the counters of a run for a stretch of failures only.
#[derive(Debug, Default)]
pub(crate) struct FailingWatch {
    /// The counters when the last success was seen.
    successes: u64,
    failures_then: u64,
    /// Said for the current stretch.
    told: bool,
    /// The stretch began at the last check, with no failure described yet.
    waited: bool,
}

impl FailingWatch {
    /// The line to show now, if the run just became all failures. Called each refresh; it
    /// also asks the engine to describe its next failure, so that a recent one is at hand.
    pub(crate) fn check(&mut self, progress: &Progress, elapsed: Duration) -> Option<String> {
        let entered = self.update(progress.successes(), progress.failures(), elapsed);
        let failure = progress.last_failure();
        progress.want_failure();
        if entered && failure.is_none() && !self.waited {
            // No failure described yet: one refresh later, one will be.
            self.waited = true;
            self.told = false;
            return None;
        }
        if entered {
            self.waited = false;
            return Some(line(failure));
        }
        None
    }

    /// Whether a failing stretch is going on (it was said, and nothing succeeded since).
    pub(crate) fn is_failing(&self) -> bool {
        self.told
    }

    /// Whether the counters (`successes`, `failures` so far, `elapsed` since the start) just
    /// entered a failing stretch.
    fn update(&mut self, successes: u64, failures: u64, elapsed: Duration) -> bool {
        if successes != self.successes {
            self.successes = successes;
            self.failures_then = failures;
            self.told = false;
            self.waited = false;
            return false;
        }
        let in_a_row = failures - self.failures_then.min(failures);
        let failing =
            in_a_row >= RUNS || (successes == 0 && failures >= EARLY_RUNS && elapsed >= EARLY);
        if failing && !self.told {
            self.told = true;
            return true;
        }
        false
    }
}

/// `every run is failing: connect: cannot connect (127.0.0.1:9): ...` and the way to make CI
/// fail on it.
pub(crate) fn line(failure: Option<String>) -> String {
    let what = failure.unwrap_or_else(|| "see the failures above".to_owned());
    format!("every run is failing: {what} (-f 1 makes such a run exit with code 1)")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATE: Duration = Duration::from_secs(60);

    #[test]
    fn a_hundred_failures_in_a_row_are_said_once() {
        let mut watch = FailingWatch::default();
        assert!(!watch.update(10, 0, LATE));
        assert!(!watch.update(10, 99, LATE));
        assert!(watch.update(10, 100, LATE));
        assert!(!watch.update(10, 500, LATE), "once per stretch");
        assert!(!watch.update(11, 501, LATE), "a success ends it");
        assert!(!watch.update(11, 600, LATE));
        assert!(watch.update(11, 601, LATE), "a new stretch is said again");
    }

    #[test]
    fn early_on_a_few_failures_and_no_success_are_enough() {
        let mut watch = FailingWatch::default();
        assert!(!watch.update(0, 5, Duration::from_millis(500)), "too early");
        assert!(watch.update(0, 5, Duration::from_secs(2)));
        let mut watch = FailingWatch::default();
        assert!(!watch.update(0, 2, LATE), "two failures say little");
    }

    #[test]
    fn the_line_waits_one_refresh_for_a_failure_to_be_described() {
        let progress = Progress::default();
        let mut watch = FailingWatch::default();
        progress.set_totals(0, 200, 1);
        assert_eq!(watch.check(&progress, LATE), None);
        // The engine describes the next failure, as it was asked to.
        assert!(progress.last_failure().is_none());
        progress.set_last_failure("connect: refused".into());
        progress.set_totals(0, 210, 1);
        let said = watch.check(&progress, LATE).unwrap();
        assert!(said.contains("connect: refused"), "{said}");
        assert_eq!(watch.check(&progress, LATE), None, "once");
        assert!(watch.is_failing());
        // Without a description at all, it is said anyway one refresh later.
        let (progress, mut watch) = (Progress::default(), FailingWatch::default());
        progress.set_totals(0, 200, 1);
        assert_eq!(watch.check(&progress, LATE), None);
        assert!(
            watch
                .check(&progress, LATE)
                .unwrap()
                .contains("see the failures above")
        );
    }

    #[test]
    fn the_line_says_what_and_how_to_fail_ci() {
        let text = line(Some("connect: cannot connect (127.0.0.1:9)".into()));
        assert_eq!(
            text,
            "every run is failing: connect: cannot connect (127.0.0.1:9) (-f 1 makes such a run exit with code 1)"
        );
        assert!(line(None).contains("see the failures above"));
    }
}
