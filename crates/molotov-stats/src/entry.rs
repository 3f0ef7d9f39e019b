//! [`Entry`]: the live counts and latency of one tracked thing, and its report form.

use std::time::Duration;

use crate::counts::Counts;
use crate::latency::Latency;
use crate::report::EntryReport;

/// The most error kinds per entry that keep a sample message.
pub(crate) const MAX_SAMPLES: usize = 32;
/// A sample message is cut to this many bytes (a message may quote a whole response body).
pub(crate) const MAX_SAMPLE_LEN: usize = 300;

/// One tracked thing (a scenario, or one method and key of request): counts + latency.
///
/// Successes and failures are timed apart: `latency` holds the successes (for a request, every
/// response, whatever its status), `failed_latency` the failures. A refused connection fails
/// in microseconds and a timeout after seconds: mixed with the responses, either would read
/// as a response time, and a run that only fails would show fast "latencies".
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// How many events, of which statuses and error kinds.
    pub counts: Counts,
    /// How long the successes took.
    pub latency: Latency,
    /// How long the failures took; made at the first failure (most entries never fail, and a
    /// histogram is tens of kilobytes).
    pub failed_latency: Option<Box<Latency>>,
    /// In an open-model run, how long the successes took from their actual start (the service
    /// time); `latency` then counts from their intended start. `None` in a closed-model run,
    /// where both are the same.
    pub service_latency: Option<Box<Latency>>,
    /// The first message seen for each error kind (at most 32 kinds), so a
    /// summary can say what a failure was, not only its kind.
    pub samples: Vec<(Box<str>, Box<str>)>,
    /// What went over the wire (requests only).
    pub transfer: Transfer,
}

/// How long something took: its service time, and, in an open-model run, how late it started
/// after its intended time (then its latency, as a user arriving on schedule sees it, is the
/// sum: latency corrected for coordinated omission).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// From the actual start to the end.
    pub service: Duration,
    /// From the intended start to the actual start (open model); `None` in the closed model.
    pub lag: Option<Duration>,
}

impl Timing {
    /// From the intended start to the end.
    pub fn latency(self) -> Duration {
        self.service.saturating_add(self.lag.unwrap_or_default())
    }
}

impl From<Duration> for Timing {
    fn from(service: Duration) -> Self {
        Timing { service, lag: None }
    }
}

/// What a request moved, beyond its outcome: the bytes of its response, and how many times
/// it was sent again on a new connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    /// Times requests were sent again on a new connection (the kept-alive one they were sent
    /// on had been closed by the server before answering).
    pub retries: u64,
    /// Bytes received on the wire: response heads, framing and bodies as sent (compressed,
    /// when the server compressed them).
    pub received: u64,
    /// Bytes of the response bodies, decoded.
    pub body: u64,
}

impl Transfer {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: Transfer) {
        self.retries += other.retries;
        self.received += other.received;
        self.body += other.body;
    }
}

impl Entry {
    /// One success that took `timing`.
    #[inline]
    pub(crate) fn success(&mut self, timing: Timing) {
        self.counts.successes += 1;
        self.latency.record(timing.latency());
        if timing.lag.is_some() {
            self.service_latency
                .get_or_insert_with(Box::default)
                .record(timing.service);
        }
    }

    /// One failure of `kind` that took `elapsed`; `describe` gives its message, and is called
    /// only for the first failure of a kind (formatting an error costs an allocation).
    #[inline]
    pub(crate) fn failure(
        &mut self,
        kind: &str,
        timing: Timing,
        describe: impl FnOnce() -> String,
    ) {
        self.counts.failures += 1;
        self.counts.add_error(kind);
        self.failed_latency
            .get_or_insert_with(Box::default)
            .record(timing.latency());
        if self.samples.len() < MAX_SAMPLES && !self.samples.iter().any(|(k, _)| &**k == kind) {
            self.samples
                .push((kind.into(), cut(describe(), MAX_SAMPLE_LEN).into()));
        }
    }

    /// Zeroes counts and histograms but keeps every allocation (and the samples: they are the
    /// first messages seen, not counts).
    pub(crate) fn zero(&mut self) {
        self.counts.zero();
        self.transfer = Transfer::default();
        self.latency.reset();
        if let Some(failed) = &mut self.failed_latency {
            failed.reset();
        }
        if let Some(service) = &mut self.service_latency {
            service.reset();
        }
    }
}

/// `text` cut to at most `max` bytes, on a character boundary, with `…` when cut.
pub(crate) fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Snapshot for a report. Statuses and error kinds with a zero count (kept by a reset) are
/// left out, so a report after a reset reads as if the kinds were never seen.
impl From<&Entry> for EntryReport {
    fn from(entry: &Entry) -> Self {
        EntryReport::from_entry(entry, &mut Vec::new())
    }
}

impl EntryReport {
    /// The report of `entry`, its histograms copied into ones taken from `pool` (histograms of
    /// an earlier snapshot, see [`Latency::copy_from`]) while it has any.
    pub(crate) fn from_entry(entry: &Entry, pool: &mut Vec<Latency>) -> Self {
        let mut copy = |latency: &Latency| match pool.pop() {
            Some(mut pooled) => {
                pooled.copy_from(latency);
                pooled
            }
            None => latency.clone(),
        };
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
            latency: copy(&entry.latency),
            failed_latency: entry
                .failed_latency
                .as_deref()
                .filter(|l| !l.is_empty())
                .map(&mut copy),
            service_latency: entry.service_latency.as_deref().map(&mut copy),
            error_samples: entry
                .samples
                .iter()
                .map(|(kind, message)| (kind.to_string(), message.to_string()))
                .collect(),
            transfer: entry.transfer.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_and_failures_are_timed_apart() {
        let mut e = Entry::default();
        e.success(Duration::from_millis(5).into());
        e.failure("timeout", Duration::from_secs(30).into(), || {
            "timed out".into()
        });
        e.failure("timeout", Duration::from_secs(30).into(), || {
            unreachable!("one sample per kind")
        });
        assert_eq!(e.counts.successes, 1);
        assert_eq!(e.counts.failures, 2);
        assert_eq!(e.counts.errors, vec![("timeout".to_owned(), 2)]);
        assert_eq!(e.latency.count(), 1);
        assert!(e.latency.max() < Duration::from_millis(6));
        assert_eq!(e.failed_latency.as_ref().map(|l| l.count()), Some(2));
        let r = EntryReport::from(&e);
        assert_eq!(r.error_samples["timeout"], "timed out");
        assert_eq!(r.failed_latency.map(|l| l.count()), Some(2));
    }

    #[test]
    fn late_starts_are_added_to_the_latency_and_the_service_time_kept_apart() {
        let mut e = Entry::default();
        let late = Timing {
            service: Duration::from_millis(5),
            lag: Some(Duration::from_millis(995)),
        };
        e.success(late);
        e.success(Duration::from_millis(5).into());
        assert_eq!(e.latency.count(), 2);
        assert!(e.latency.max() >= Duration::from_secs(1));
        let service = e.service_latency.as_deref().unwrap();
        assert_eq!(
            service.count(),
            1,
            "only open-model runs have a service time"
        );
        assert!(service.max() < Duration::from_millis(6));
        let r = EntryReport::from(&e);
        assert_eq!(r.service_latency.map(|l| l.count()), Some(1));
        assert!(
            EntryReport::from(&Entry::default())
                .service_latency
                .is_none()
        );
    }

    #[test]
    fn samples_are_capped_in_number_and_length() {
        let mut e = Entry::default();
        for i in 0..MAX_SAMPLES + 5 {
            e.failure(&format!("kind{i}"), Duration::ZERO.into(), || {
                "é".repeat(1000)
            });
        }
        assert_eq!(e.samples.len(), MAX_SAMPLES);
        let (_, message) = &e.samples[0];
        assert!(
            message.len() <= MAX_SAMPLE_LEN + '…'.len_utf8(),
            "{}",
            message.len()
        );
        assert!(message.ends_with('…'));
    }

    #[test]
    fn report_form_skips_zeroed_kinds() {
        let mut e = Entry::default();
        e.counts.add_status(200);
        e.counts.add_status(404);
        e.failure("connect", Duration::from_millis(1).into(), String::new);
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
        assert!(
            r.failed_latency.is_none(),
            "an emptied histogram is left out"
        );
    }
}
