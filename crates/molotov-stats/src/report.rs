//! [`Report`]: the versioned, serialisable, mergeable results document, and [`MergeError`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::entry::Transfer;
use crate::latency::Latency;
use crate::sockets::SocketReport;
use crate::timeline::Timeline;

/// Version of the [`Report`] layout. Bumped whenever a field changes meaning, so that reports
/// written by different molotov versions are refused at merge time instead of mis-added.
///
/// Format 2: `latency` holds the successes only (for requests, every response), and the
/// failures have their own `failed_latency`; in format 1 both were in `latency`.
pub const REPORT_FORMAT: u32 = 2;

/// Versioned, mergeable results document.
///
/// Workers produce one with [`Stats::report`](crate::Stats::report); processes and machines
/// ship them as JSON and [`merge`](Report::merge) them. Merging is exact: counts add up and
/// latency histograms keep every sample, so the merged percentiles are true percentiles.
///
/// `Default` is an empty report of the current [`REPORT_FORMAT`] (not format 0), so an empty
/// accumulator can merge anything this version wrote.
///
/// ```
/// use std::time::Duration;
/// use molotov_stats::{Report, Stats, Transfer};
///
/// let mut worker1 = Stats::new(&["browse"]);
/// worker1.scenario_success(0, Duration::from_millis(12));
/// worker1.request_status("GET", "/", 200, Duration::from_millis(10), Transfer::default());
///
/// let mut worker2 = Stats::new(&["browse"]);
/// worker2.scenario_failure(0, "AssertionError", Duration::from_millis(30), String::new);
/// worker2.request_status("GET", "/", 500, Duration::from_millis(28), Transfer::default());
///
/// // Each process ships its report as JSON; the coordinator merges them.
/// let json = serde_json::to_string(&worker2.report()).unwrap();
/// let mut total = Report::default();
/// total.merge(&worker1.report())?;
/// total.merge(&serde_json::from_str(&json).unwrap())?;
///
/// let browse = &total.scenarios["browse"];
/// assert_eq!((browse.successes, browse.failures), (1, 1));
/// assert_eq!(browse.latency.count(), 1); // the success
/// assert_eq!(browse.failed_latency.as_ref().map(|l| l.count()), Some(1));
/// let get = &total.requests["GET /"];
/// assert_eq!(get.statuses["200"] + get.statuses["500"], 2);
/// assert_eq!(total.totals().rate(Duration::from_secs(2)), 1.0);
/// # Ok::<(), molotov_stats::MergeError>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Layout version; [`REPORT_FORMAT`] for reports this crate writes.
    pub format: u32,
    /// Scenario name -> its results.
    #[serde(default)]
    pub scenarios: BTreeMap<String, EntryReport>,
    /// `"METHOD key"` (method, a space, the URL path or request name) -> its results.
    #[serde(default)]
    pub requests: BTreeMap<String, EntryReport>,
    /// The run interval by interval, when the recorder kept one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// The web sockets by name (empty when the run opened none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub websockets: BTreeMap<String, SocketReport>,
}

impl Default for Report {
    fn default() -> Self {
        Self {
            format: REPORT_FORMAT,
            scenarios: BTreeMap::new(),
            requests: BTreeMap::new(),
            timeline: None,
            websockets: BTreeMap::new(),
        }
    }
}

impl Report {
    /// Adds `other` into `self`: counts add, keys are the union, histograms merge exactly.
    ///
    /// Fails, leaving `self` untouched, if the two reports have different formats.
    pub fn merge(&mut self, other: &Report) -> Result<(), MergeError> {
        if self.format != other.format {
            return Err(MergeError::FormatMismatch {
                ours: self.format,
                theirs: other.format,
            });
        }
        merge_maps(&mut self.scenarios, &other.scenarios);
        merge_maps(&mut self.requests, &other.requests);
        for (name, socket) in &other.websockets {
            self.websockets
                .entry(name.clone())
                .or_default()
                .merge(socket);
        }
        match (&mut self.timeline, &other.timeline) {
            (Some(ours), Some(theirs)) => ours.merge(theirs),
            (None, Some(theirs)) => self.timeline = Some(theirs.clone()),
            _ => {}
        }
        Ok(())
    }

    /// All scenarios summed into one entry (histograms merged).
    pub fn totals(&self) -> EntryReport {
        sum(self.scenarios.values())
    }

    /// All requests summed into one entry (histograms merged).
    pub fn request_totals(&self) -> EntryReport {
        sum(self.requests.values())
    }
}

/// The results for one scenario or request kind, as a report carries them.
///
/// Statuses are keyed by their decimal string because JSON object keys must be strings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EntryReport {
    /// Events that succeeded.
    pub successes: u64,
    /// Events that failed.
    pub failures: u64,
    /// HTTP status (`"200"`) -> count.
    #[serde(default)]
    pub statuses: BTreeMap<String, u64>,
    /// Error kind -> count.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// How long the successes took (for a request: every response), every sample kept.
    #[serde(default)]
    pub latency: Latency,
    /// How long the failures took, when there were some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_latency: Option<Latency>,
    /// In an open-model run, how long the successes took from their actual start (`latency`
    /// then counts from their intended start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_latency: Option<Latency>,
    /// Error kind -> the first message seen for it (cut to a few hundred bytes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_samples: BTreeMap<String, String>,
    /// Bytes moved and requests sent again (requests only; zero for scenarios).
    #[serde(default, flatten)]
    pub transfer: TransferReport,
}

/// [`Transfer`] as reports write it: `retries`, `received_bytes`, `body_bytes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferReport {
    /// Requests sent again on a new connection.
    #[serde(default)]
    pub retries: u64,
    /// Bytes received on the wire (heads, framing, bodies as sent).
    #[serde(default)]
    pub received_bytes: u64,
    /// Bytes of the bodies, decoded.
    #[serde(default)]
    pub body_bytes: u64,
}

impl From<Transfer> for TransferReport {
    fn from(t: Transfer) -> Self {
        TransferReport {
            retries: t.retries,
            received_bytes: t.received,
            body_bytes: t.body,
        }
    }
}

impl EntryReport {
    /// Adds every count and sample of `other` to `self`.
    pub fn merge(&mut self, other: &EntryReport) {
        // Saturating: reports read back from files may hold anything.
        self.successes = self.successes.saturating_add(other.successes);
        self.failures = self.failures.saturating_add(other.failures);
        add_counts(&mut self.statuses, &other.statuses);
        add_counts(&mut self.errors, &other.errors);
        self.latency.merge(&other.latency);
        merge_optional(&mut self.failed_latency, other.failed_latency.as_ref());
        merge_optional(&mut self.service_latency, other.service_latency.as_ref());
        for (kind, message) in &other.error_samples {
            if !self.error_samples.contains_key(kind) {
                self.error_samples.insert(kind.clone(), message.clone());
            }
        }
        let t = &mut self.transfer;
        t.retries = t.retries.saturating_add(other.transfer.retries);
        t.received_bytes = t
            .received_bytes
            .saturating_add(other.transfer.received_bytes);
        t.body_bytes = t.body_bytes.saturating_add(other.transfer.body_bytes);
    }

    /// The message of the most frequent error kind, as `kind: message` (or the kind alone when
    /// no message was kept); `None` without failures.
    pub fn main_error(&self) -> Option<String> {
        let (kind, _) = self
            .errors
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))?;
        Some(match self.error_samples.get(kind) {
            Some(message) if !message.is_empty() && message != kind => format!("{kind}: {message}"),
            _ => kind.clone(),
        })
    }

    /// Successes plus failures.
    pub fn total(&self) -> u64 {
        self.successes + self.failures
    }

    /// Events per second over `elapsed` (successes and failures alike); 0 if `elapsed` is zero.
    /// The caller passes the wall time the events span: this crate keeps no clock.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        let secs = elapsed.as_secs_f64();
        if secs > 0.0 {
            self.total() as f64 / secs
        } else {
            0.0
        }
    }
}

/// Why two reports could not be merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MergeError {
    /// The reports were written in different layouts; adding them field by field could
    /// silently mix up meanings.
    FormatMismatch {
        /// Format of the report merged into.
        ours: u32,
        /// Format of the report being merged.
        theirs: u32,
    },
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::FormatMismatch { ours, theirs } => write!(
                f,
                "cannot merge a format {theirs} report into a format {ours} report \
                 (were they written by different molotov versions?)"
            ),
        }
    }
}

impl std::error::Error for MergeError {}

fn merge_maps(ours: &mut BTreeMap<String, EntryReport>, theirs: &BTreeMap<String, EntryReport>) {
    for (key, entry) in theirs {
        if let Some(mine) = ours.get_mut(key) {
            mine.merge(entry);
        } else {
            ours.insert(key.clone(), entry.clone());
        }
    }
}

fn merge_optional(ours: &mut Option<Latency>, theirs: Option<&Latency>) {
    if let Some(theirs) = theirs {
        match ours {
            Some(ours) => ours.merge(theirs),
            None => *ours = Some(theirs.clone()),
        }
    }
}

fn add_counts(ours: &mut BTreeMap<String, u64>, theirs: &BTreeMap<String, u64>) {
    for (key, n) in theirs {
        if let Some(mine) = ours.get_mut(key) {
            *mine = mine.saturating_add(*n);
        } else {
            ours.insert(key.clone(), *n);
        }
    }
}

fn sum<'a>(entries: impl Iterator<Item = &'a EntryReport>) -> EntryReport {
    let mut total = EntryReport::default();
    for entry in entries {
        total.merge(entry);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_latencies_and_samples_merge() {
        let mut failed = Latency::new();
        failed.record(Duration::from_millis(1));
        let one = EntryReport {
            failures: 1,
            errors: BTreeMap::from([("connect".to_owned(), 1)]),
            failed_latency: Some(failed),
            error_samples: BTreeMap::from([("connect".to_owned(), "refused".to_owned())]),
            ..EntryReport::default()
        };
        let mut other = one.clone();
        other.error_samples.insert("connect".into(), "later".into());
        other.errors.insert("timeout".into(), 5);
        let mut total = EntryReport::default();
        total.merge(&one);
        total.merge(&other);
        assert_eq!(total.failed_latency.as_ref().map(Latency::count), Some(2));
        assert_eq!(
            total.error_samples["connect"], "refused",
            "the first sample stays"
        );
        assert_eq!(total.main_error().as_deref(), Some("timeout"));
        total.errors.insert("timeout".into(), 0);
        assert_eq!(total.main_error().as_deref(), Some("connect: refused"));
        assert_eq!(EntryReport::default().main_error(), None);
    }

    fn entry(successes: u64, failures: u64, status: &str, error: &str, ms: &[u64]) -> EntryReport {
        let mut latency = Latency::new();
        for &m in ms {
            latency.record(Duration::from_millis(m));
        }
        EntryReport {
            successes,
            failures,
            statuses: BTreeMap::from([(status.to_owned(), successes)]),
            errors: BTreeMap::from([(error.to_owned(), failures)]),
            latency,
            failed_latency: None,
            service_latency: None,
            error_samples: BTreeMap::new(),
            transfer: TransferReport::default(),
        }
    }

    fn report(scenarios: &[(&str, EntryReport)], requests: &[(&str, EntryReport)]) -> Report {
        let own = |list: &[(&str, EntryReport)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        Report {
            format: REPORT_FORMAT,
            scenarios: own(scenarios),
            requests: own(requests),
            timeline: None,
            websockets: BTreeMap::new(),
        }
    }

    #[test]
    fn merge_adds_counts_and_unions_keys() {
        let mut a = report(
            &[("s1", entry(2, 1, "200", "timeout", &[1, 2, 3]))],
            &[("GET /", entry(2, 0, "200", "connect", &[1, 2]))],
        );
        let b = report(
            &[
                ("s1", entry(1, 1, "500", "timeout", &[4, 5])),
                ("s2", entry(5, 0, "200", "x", &[6])),
            ],
            &[("POST /login", entry(1, 1, "201", "connect", &[7, 8]))],
        );
        a.merge(&b).unwrap();

        let s1 = &a.scenarios["s1"];
        assert_eq!((s1.successes, s1.failures), (3, 2));
        assert_eq!(s1.statuses["200"], 2);
        assert_eq!(s1.statuses["500"], 1);
        assert_eq!(s1.errors["timeout"], 2);
        assert_eq!(s1.latency.count(), 5);
        let max = s1.latency.max();
        assert!(max >= Duration::from_millis(5) && max < Duration::from_micros(5_010));
        assert_eq!(a.scenarios.len(), 2);
        assert_eq!(a.scenarios["s2"].total(), 5);
        assert_eq!(
            a.requests.keys().collect::<Vec<_>>(),
            vec!["GET /", "POST /login"]
        );

        let totals = a.totals();
        assert_eq!((totals.successes, totals.failures), (8, 2));
        assert_eq!(totals.latency.count(), 6);
        let requests = a.request_totals();
        assert_eq!(requests.total(), 4);
        assert_eq!(requests.latency.count(), 4);
        assert_eq!(requests.errors["connect"], 1);
    }

    #[test]
    fn default_report_accepts_current_format() {
        let mut total = Report::default();
        assert_eq!(total.format, REPORT_FORMAT);
        let one = report(&[("s", entry(1, 0, "200", "x", &[1]))], &[]);
        total.merge(&one).unwrap();
        total.merge(&one).unwrap();
        assert_eq!(total.scenarios["s"].successes, 2);
        assert_eq!(total.scenarios["s"].latency.count(), 2);
    }

    #[test]
    fn format_mismatch_is_an_error_and_changes_nothing() {
        let mut a = report(&[("s", entry(1, 0, "200", "x", &[1]))], &[]);
        let mut b = a.clone();
        b.format = REPORT_FORMAT + 1;
        let err = a.merge(&b).unwrap_err();
        assert_eq!(
            err,
            MergeError::FormatMismatch {
                ours: REPORT_FORMAT,
                theirs: REPORT_FORMAT + 1
            }
        );
        assert!(
            err.to_string().contains("format 3 report into a format 2"),
            "{err}"
        );
        let _: &dyn std::error::Error = &err;
        assert_eq!(a.scenarios["s"].successes, 1);
    }

    #[test]
    fn json_round_trip() {
        let r = report(
            &[("s1", entry(3, 1, "200", "timeout", &[1, 20, 300]))],
            &[("GET /a", entry(2, 0, "204", "none", &[5, 6]))],
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["format"], REPORT_FORMAT);
        assert_eq!(json["scenarios"]["s1"]["statuses"]["200"], 3);
        assert_eq!(json["scenarios"]["s1"]["latency"]["count"], 3);
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back.format, REPORT_FORMAT);
        let s1 = &back.scenarios["s1"];
        assert_eq!((s1.successes, s1.failures), (3, 1));
        assert_eq!(s1.errors["timeout"], 1);
        assert_eq!(s1.latency, r.scenarios["s1"].latency);
        assert_eq!(back.requests["GET /a"].latency.count(), 2);
    }

    #[test]
    fn rate_over_elapsed() {
        let e = entry(30, 10, "200", "x", &[]);
        assert!((e.rate(Duration::from_secs(4)) - 10.0).abs() < 1e-9);
        assert!((e.rate(Duration::from_millis(500)) - 80.0).abs() < 1e-9);
        assert!(e.rate(Duration::ZERO).abs() < f64::EPSILON);
    }
}
