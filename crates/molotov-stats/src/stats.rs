//! [`Stats`]: the per-thread recorder workers call on the hot path.

use std::collections::btree_map::Entry as Slot;

use crate::entry::{Entry, Timing, Transfer};
use crate::report::{EntryReport, Report};
use crate::requests::Requests;
use crate::sockets::Sockets;
use crate::timeline::{Gauges, IntervalRecorder, Timeline};

/// The per-process (per-thread) recorder.
///
/// Owned by the one thread that records into it: no locks, no atomics. Scenarios are addressed
/// by index (no hashing on the hot path); requests by method and key, where a key seen before
/// is found without allocating. The owner snapshots it into a [`Report`] at the end, or
/// periodically for a live view, and may [`reset`](Stats::reset) it between snapshots.
///
/// Latencies are passed in: this crate keeps no clock.
///
/// ```
/// use std::time::Duration;
/// use molotov_stats::{Stats, Transfer};
///
/// let mut stats = Stats::new(&["login", "browse"]);
/// stats.scenario_success(1, Duration::from_millis(40));
/// stats.scenario_failure(0, "AssertionError", Duration::from_millis(90), || "no token".into());
/// stats.request_status("GET", "/", 200, Duration::from_millis(35), Transfer::default());
/// stats.request_status("POST", "/login", 401, Duration::from_millis(80), Transfer::default());
/// stats.request_error("GET", "/slow", "timeout", Duration::from_secs(5), Transfer::default(), String::new);
/// assert_eq!(stats.totals(), (1, 1));
///
/// let report = stats.report();
/// assert_eq!(report.scenarios["login"].errors["AssertionError"], 1);
/// assert_eq!(report.requests["POST /login"].statuses["401"], 1);
/// assert_eq!(report.requests["POST /login"].successes, 1); // a response arrived
/// assert_eq!(report.requests["GET /slow"].failures, 1);
///
/// stats.reset();
/// assert_eq!(stats.totals(), (0, 0));
/// ```
#[derive(Debug)]
pub struct Stats {
    /// Scenario names, parallel to `scenarios`.
    names: Vec<Box<str>>,
    scenarios: Vec<Entry>,
    requests: Requests,
    /// The web sockets, by name.
    sockets: Sockets,
    /// The current interval of the timeline, filled whether or not a timeline was started
    /// (a branch less on the hot path).
    interval: IntervalRecorder,
    /// The closed intervals, once started.
    timeline: Option<Timeline>,
}

impl Stats {
    /// `scenarios`: the scenario names, in the order the engine indexes them (index = position).
    pub fn new(scenarios: &[&str]) -> Self {
        Self {
            names: scenarios.iter().map(|&name| Box::from(name)).collect(),
            scenarios: vec![Entry::default(); scenarios.len()],
            requests: Requests::new(),
            sockets: Sockets::default(),
            interval: IntervalRecorder::default(),
            timeline: None,
        }
    }

    /// Starts keeping a [`Timeline`]: the owner then calls
    /// [`close_interval`](Stats::close_interval) once a second, and once more at the end.
    pub fn start_timeline(&mut self) {
        self.interval.clear();
        self.timeline = Some(Timeline::default());
    }

    /// Closes the current interval of the timeline and starts the next: it is labelled `t`
    /// (the wall-clock Unix second it started in), it covered `seconds` of the run, and the
    /// gauges are those of its end. Nothing happens unless
    /// [`start_timeline`](Stats::start_timeline) was called.
    pub fn close_interval(&mut self, t: u64, seconds: f64, gauges: Gauges) {
        if let Some(timeline) = &mut self.timeline {
            timeline.push(self.interval.snapshot(t, seconds, gauges));
            self.interval.clear();
        }
    }

    /// One scenario run that succeeded after `elapsed`. Hot path: an index, no hashing.
    ///
    /// # Panics
    ///
    /// If `index` is not a position in the names given to [`Stats::new`]: that is an engine
    /// bug, and counting it elsewhere would hide it.
    #[inline]
    pub fn scenario_success(&mut self, index: usize, timing: impl Into<Timing>) {
        let timing = timing.into();
        self.scenarios[index].success(timing);
        self.interval.success(timing.latency());
    }

    /// One scenario run that failed with error `kind` after `elapsed`; `describe` gives the
    /// error's message, kept as the kind's sample the first time the kind is seen (it is not
    /// called otherwise).
    ///
    /// # Panics
    ///
    /// If `index` is out of range, as for [`Stats::scenario_success`].
    #[inline]
    pub fn scenario_failure(
        &mut self,
        index: usize,
        kind: &str,
        timing: impl Into<Timing>,
        describe: impl FnOnce() -> String,
    ) {
        self.scenarios[index].failure(kind, timing.into(), describe);
        self.interval.failure();
    }

    /// One request that got a response with `status` after `elapsed`. Any status is a request
    /// success (the server answered); the status is counted so errors still show. `method` is
    /// e.g. `"GET"`; `key` the URL path or a name the test gave the request.
    /// `transfer` says what it moved (bytes, retries).
    #[inline]
    pub fn request_status(
        &mut self,
        method: &str,
        key: &str,
        status: u16,
        timing: impl Into<Timing>,
        transfer: Transfer,
    ) {
        let timing = timing.into();
        self.interval.status(status);
        self.requests.with_entry(method, key, |entry| {
            entry.counts.add_status(status);
            entry.success(timing);
            entry.transfer.add(transfer);
        });
    }

    /// One request that got no response (error `kind`: connect, timeout, ...) after
    /// `elapsed`; `describe` gives the error's message, as for [`Stats::scenario_failure`].
    #[inline]
    pub fn request_error(
        &mut self,
        method: &str,
        key: &str,
        kind: &str,
        timing: impl Into<Timing>,
        transfer: Transfer,
        describe: impl FnOnce() -> String,
    ) {
        let timing = timing.into();
        self.interval.error(kind);
        self.requests.with_entry(method, key, |entry| {
            entry.failure(kind, timing, describe);
            entry.transfer.add(transfer);
        });
    }

    /// A WebSocket named `name` opened (its handshake is recorded as a request apart).
    pub fn socket_opened(&mut self, name: &str) {
        self.sockets.opened(name);
    }

    /// A message of `bytes` sent (`sent`) or received on a WebSocket named `name`.
    pub fn socket_message(&mut self, name: &str, sent: bool, bytes: u64) {
        self.sockets.message(name, sent, bytes);
    }

    /// A WebSocket named `name` ended after `open_for`: normally, or with `failure`'s kind.
    pub fn socket_ended(
        &mut self,
        name: &str,
        open_for: std::time::Duration,
        failure: Option<&str>,
    ) {
        self.sockets.ended(name, open_for, failure);
    }

    /// Cardinality guard: at most `max` distinct request keys (default 1000, across methods).
    /// Later new keys are recorded under the key `"(other)"` of their method; keys already
    /// tracked keep their own entries.
    pub fn set_request_key_limit(&mut self, max: usize) {
        self.requests.set_key_limit(max);
    }

    /// (scenario successes, scenario failures), summed over all scenarios.
    pub fn totals(&self) -> (u64, u64) {
        self.scenarios.iter().fold((0, 0), |(ok, failed), entry| {
            (ok + entry.counts.successes, failed + entry.counts.failures)
        })
    }

    /// Snapshot of everything recorded so far (clones; the recorder is left as is).
    ///
    /// Every scenario appears, run or not, so a report always lists the whole test; request
    /// keys with nothing recorded since the last reset are left out.
    pub fn report(&self) -> Report {
        self.snapshot(true)
    }

    /// [`report`](Stats::report), with the timeline or without it (a live view that does not
    /// draw it spares the copy, which grows with the run).
    pub fn snapshot(&self, timeline: bool) -> Report {
        self.snapshot_reusing(timeline, None)
    }

    /// [`snapshot`](Stats::snapshot), its histograms copied into the memory of `old` (an
    /// earlier snapshot nobody holds any more) rather than into fresh allocations: a live
    /// view's snapshot each second then costs copies, not megabytes of new pages.
    pub fn snapshot_reusing(&self, timeline: bool, old: Option<Report>) -> Report {
        let mut pool = Vec::new();
        if let Some(old) = old {
            for entry in old
                .scenarios
                .into_values()
                .chain(old.requests.into_values())
            {
                pool.push(entry.latency);
                pool.extend(entry.failed_latency);
                pool.extend(entry.service_latency);
            }
        }
        let mut report = Report::default();
        for (name, entry) in self.names.iter().zip(&self.scenarios) {
            let entry = EntryReport::from_entry(entry, &mut pool);
            // Duplicate names share one report entry rather than overwrite each other.
            match report.scenarios.entry(name.to_string()) {
                Slot::Vacant(slot) => {
                    slot.insert(entry);
                }
                Slot::Occupied(mut slot) => slot.get_mut().merge(&entry),
            }
        }
        self.requests.report_pooled(&mut report.requests, &mut pool);
        self.sockets.report_into(&mut report.websockets);
        if timeline {
            report.timeline.clone_from(&self.timeline);
        }
        report
    }

    /// Zeroes everything but keeps what was allocated (request keys, status and error kinds,
    /// histograms), so recording after a periodic reset is allocation-free. The request key
    /// limit keeps counting the keys already seen.
    pub fn reset(&mut self) {
        self.scenarios.iter_mut().for_each(Entry::zero);
        self.requests.zero();
        self.sockets.zero();
        self.interval.clear();
        if let Some(timeline) = &mut self.timeline {
            timeline.intervals.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Latency;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_snapshot_in_an_earlier_ones_memory_is_the_same_snapshot() {
        let mut s = Stats::new(&["a", "b", "a"]);
        let record = |s: &mut Stats, round: u64| {
            for i in 0..5 + round {
                let slow = Duration::from_micros(50 * (i + 1) * (round + 1) * 997);
                s.request_status("GET", &format!("/item/{i}"), 200, slow, Transfer::default());
                s.scenario_success(usize::try_from(i % 3).unwrap(), slow);
            }
            let lagged = Timing {
                service: ms(3),
                lag: Some(ms(40 * round)),
            };
            s.scenario_success(1, lagged);
            s.request_error(
                "POST",
                "/login",
                "timeout",
                ms(900),
                Transfer::default(),
                || "timed out".into(),
            );
            s.scenario_failure(0, "AssertionError", ms(2), || "no".into());
        };
        let json = |r: &Report| serde_json::to_value(r).unwrap();
        let mut old: Option<Report> = None;
        for round in 0..4 {
            record(&mut s, round);
            let fresh = s.snapshot(false);
            // The earlier snapshot had fewer request names, and histograms of narrower ranges.
            let reused = s.snapshot_reusing(false, old.take());
            assert_eq!(json(&reused), json(&fresh), "round {round}");
            for (key, entry) in &fresh.requests {
                let other = &reused.requests[key];
                assert_eq!(
                    other.latency.percentile(99.0),
                    entry.latency.percentile(99.0)
                );
                assert_eq!(other.latency.max(), entry.latency.max());
            }
            old = Some(reused);
        }
    }

    #[test]
    fn scenarios_by_index() {
        let mut s = Stats::new(&["a", "b", "idle"]);
        s.scenario_success(0, ms(1));
        s.scenario_success(0, ms(2));
        s.scenario_failure(1, "timeout", ms(3), String::new);
        s.scenario_failure(1, "timeout", ms(4), String::new);
        s.scenario_failure(1, "AssertionError", ms(5), String::new);
        assert_eq!(s.totals(), (2, 3));

        let r = s.report();
        assert_eq!(r.scenarios.len(), 3, "idle scenarios are listed too");
        assert_eq!(r.scenarios["a"].successes, 2);
        assert_eq!(r.scenarios["a"].latency.count(), 2);
        assert_eq!(r.scenarios["b"].failures, 3);
        assert_eq!(r.scenarios["b"].errors["timeout"], 2);
        assert_eq!(r.scenarios["b"].errors["AssertionError"], 1);
        // HDR reports the top of the value's bucket: 5 ms to 3 significant digits.
        assert!(
            r.scenarios["b"].latency.is_empty(),
            "failures are timed apart"
        );
        let max = r.scenarios["b"].failed_latency.as_ref().unwrap().max();
        assert!(
            max >= ms(5) && max < Duration::from_micros(5_010),
            "{max:?}"
        );
        assert_eq!(r.scenarios["idle"].total(), 0);
        assert_eq!(r.totals().total(), 5);
    }

    #[test]
    #[should_panic(expected = "index out of bounds")]
    fn unknown_scenario_index_panics() {
        Stats::new(&["a"]).scenario_success(1, ms(1));
    }

    #[test]
    fn duplicate_scenario_names_share_an_entry() {
        let mut s = Stats::new(&["a", "a"]);
        s.scenario_success(0, ms(1));
        s.scenario_success(1, ms(1));
        assert_eq!(s.report().scenarios["a"].successes, 2);
    }

    #[test]
    fn requests_count_statuses_and_errors() {
        let mut s = Stats::new(&[]);
        s.request_status("GET", "/", 200, ms(1), Transfer::default());
        s.request_status("GET", "/", 503, ms(2), Transfer::default());
        s.request_error(
            "GET",
            "/",
            "connect",
            ms(3),
            Transfer::default(),
            String::new,
        );
        s.request_status("POST", "/", 201, ms(4), Transfer::default());
        let r = s.report();
        let get = &r.requests["GET /"];
        assert_eq!((get.successes, get.failures), (2, 1));
        assert_eq!(get.statuses["200"], 1);
        assert_eq!(get.statuses["503"], 1);
        assert_eq!(get.errors["connect"], 1);
        assert_eq!(get.latency.count(), 2);
        assert_eq!(get.failed_latency.as_ref().map(Latency::count), Some(1));
        assert_eq!(r.requests["POST /"].statuses["201"], 1);
        assert_eq!(r.request_totals().total(), 4);
        assert_eq!(s.totals(), (0, 0), "requests are not scenarios");
    }

    #[test]
    fn transfers_add_up_per_request_key() {
        let mut s = Stats::new(&[]);
        let moved = Transfer {
            retries: 1,
            received: 120,
            body: 300,
        };
        s.request_status("GET", "/", 200, ms(1), moved);
        s.request_error("GET", "/", "closed", ms(1), moved, String::new);
        let r = s.report();
        let t = r.requests["GET /"].transfer;
        assert_eq!((t.retries, t.received_bytes, t.body_bytes), (2, 240, 600));
        let json = serde_json::to_value(&r.requests["GET /"]).unwrap();
        assert_eq!(json["retries"], 2);
        assert_eq!(json["received_bytes"], 240);
        let mut total = r.request_totals();
        total.merge(&r.requests["GET /"]);
        assert_eq!(total.transfer.body_bytes, 1200);
    }

    #[test]
    fn request_key_limit_goes_to_other() {
        let mut s = Stats::new(&[]);
        s.set_request_key_limit(1);
        s.request_status("GET", "/user/1", 200, ms(1), Transfer::default());
        s.request_status("GET", "/user/2", 200, ms(1), Transfer::default());
        s.request_error(
            "GET",
            "/user/3",
            "timeout",
            ms(1),
            Transfer::default(),
            String::new,
        );
        let r = s.report();
        assert_eq!(r.requests.len(), 2);
        assert_eq!(r.requests["GET /user/1"].successes, 1);
        let other = &r.requests["GET (other)"];
        assert_eq!((other.successes, other.failures), (1, 1));
        assert_eq!(other.latency.count(), 1);
        assert_eq!(other.failed_latency.as_ref().map(Latency::count), Some(1));
    }

    #[test]
    fn reset_zeroes_everything() {
        let mut s = Stats::new(&["a"]);
        s.scenario_failure(0, "boom", ms(1), String::new);
        s.request_status("GET", "/", 200, ms(1), Transfer::default());
        s.reset();
        assert_eq!(s.totals(), (0, 0));
        let r = s.report();
        let a = &r.scenarios["a"];
        assert_eq!(a.total(), 0);
        assert!(a.errors.is_empty());
        assert!(a.latency.is_empty());
        assert!(r.requests.is_empty());

        s.request_status("GET", "/", 404, ms(1), Transfer::default());
        let r = s.report();
        assert_eq!(r.requests["GET /"].statuses.len(), 1);
        assert_eq!(r.requests["GET /"].statuses["404"], 1);
    }

    #[test]
    fn report_is_a_snapshot() {
        let mut s = Stats::new(&["a"]);
        s.scenario_success(0, ms(1));
        let before = s.report();
        s.scenario_success(0, ms(1));
        assert_eq!(before.scenarios["a"].successes, 1);
        assert_eq!(s.report().scenarios["a"].successes, 2);
    }

    #[test]
    fn reports_of_two_workers_merge() {
        let mut w1 = Stats::new(&["a"]);
        let mut w2 = Stats::new(&["a"]);
        w1.scenario_success(0, ms(10));
        w1.request_status("GET", "/x", 200, ms(9), Transfer::default());
        w2.scenario_success(0, ms(20));
        w2.request_status("GET", "/y", 200, ms(19), Transfer::default());
        let mut total = w1.report();
        total.merge(&w2.report()).unwrap();
        assert_eq!(total.scenarios["a"].successes, 2);
        assert_eq!(total.scenarios["a"].latency.count(), 2);
        assert_eq!(total.requests.len(), 2);
    }
}
