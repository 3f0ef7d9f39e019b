//! [`Entry`]: the live counts and latency of one tracked thing, and its report form.

use std::time::Duration;

use crate::counts::Counts;
use crate::latency::Latency;
use crate::report::EntryReport;

/// One tracked thing (a scenario, or one method and key of request): counts + latency.
///
/// Every event's elapsed time goes into `latency`, failures included: a timeout that took 30 s
/// is load the target saw, and hiding it would flatter the percentiles.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// How many events, of which statuses and error kinds.
    pub counts: Counts,
    /// How long the events took.
    pub latency: Latency,
}

impl Entry {
    /// One success that took `elapsed`.
    #[inline]
    pub(crate) fn success(&mut self, elapsed: Duration) {
        self.counts.successes += 1;
        self.latency.record(elapsed);
    }

    /// One failure of `kind` that took `elapsed`.
    #[inline]
    pub(crate) fn failure(&mut self, kind: &str, elapsed: Duration) {
        self.counts.failures += 1;
        self.counts.add_error(kind);
        self.latency.record(elapsed);
    }

    /// Zeroes counts and histogram but keeps every allocation.
    pub(crate) fn zero(&mut self) {
        self.counts.zero();
        self.latency.reset();
    }
}

/// Snapshot for a report. Statuses and error kinds with a zero count (kept by a reset) are
/// left out, so a report after a reset reads as if the kinds were never seen.
impl From<&Entry> for EntryReport {
    fn from(entry: &Entry) -> Self {
        let counts = &entry.counts;
        EntryReport {
            successes: counts.successes,
            failures: counts.failures,
            statuses: counts
                .statuses
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            errors: counts
                .errors
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(kind, n)| (kind.clone(), *n))
                .collect(),
            latency: entry.latency.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_failure_record_latency() {
        let mut e = Entry::default();
        e.success(Duration::from_millis(5));
        e.failure("timeout", Duration::from_secs(30));
        assert_eq!(e.counts.successes, 1);
        assert_eq!(e.counts.failures, 1);
        assert_eq!(e.counts.errors, vec![("timeout".to_owned(), 1)]);
        assert_eq!(e.latency.count(), 2);
    }

    #[test]
    fn report_form_skips_zeroed_kinds() {
        let mut e = Entry::default();
        e.counts.add_status(200);
        e.counts.add_status(404);
        e.failure("connect", Duration::from_millis(1));
        let r = EntryReport::from(&e);
        assert_eq!(r.statuses.get("200"), Some(&1));
        assert_eq!(r.statuses.get("404"), Some(&1));
        assert_eq!(r.errors.get("connect"), Some(&1));

        e.zero();
        e.counts.add_status(404);
        let r = EntryReport::from(&e);
        assert_eq!(r.statuses.len(), 1);
        assert_eq!(r.statuses.get("404"), Some(&1));
        assert!(r.errors.is_empty());
        assert!(r.latency.is_empty());
    }
}
