//! [`Requests`]: the per-method, per-key table of request entries, with its cardinality guard.

use std::collections::btree_map::Entry as Slot;
use std::collections::{BTreeMap, HashMap};

use crate::entry::Entry;
use crate::latency::Latency;
use crate::report::EntryReport;

/// Key that new request keys are recorded under once the limit is reached.
pub(crate) const OTHER_KEY: &str = "(other)";

/// Default cap on distinct request keys. Each key holds a latency histogram, so a test that
/// puts ids in its URLs (`/user/8231`) would otherwise grow memory without bound.
pub(crate) const DEFAULT_KEY_LIMIT: usize = 1000;

/// Request entries by method, then by key (URL path or a name the test gave the request).
///
/// Methods are a short `Vec` scanned linearly (a test uses two or three), each holding a
/// `HashMap<Box<str>, Entry>` that is looked up by `&str`: a key seen before costs one hash
/// and no allocation.
#[derive(Debug)]
pub(crate) struct Requests {
    methods: Vec<MethodTable>,
    /// Distinct keys tracked so far across all methods, `(other)` excluded.
    distinct: usize,
    limit: usize,
}

#[derive(Debug)]
struct MethodTable {
    method: Box<str>,
    keys: HashMap<Box<str>, Entry>,
}

impl Requests {
    pub(crate) fn new() -> Self {
        Self {
            methods: Vec::new(),
            distinct: 0,
            limit: DEFAULT_KEY_LIMIT,
        }
    }

    /// Caps distinct keys at `max`. Keys already tracked stay; only later new ones overflow.
    pub(crate) fn set_key_limit(&mut self, max: usize) {
        self.limit = max;
    }

    /// Runs `record` on the entry for `method` and `key`, creating it (or, past the key limit,
    /// using the method's `(other)` entry) if the key is new.
    ///
    /// A closure rather than returning `&mut Entry`: the borrow checker cannot yet express
    /// "return the found entry, else insert", and the closure keeps the hit path to one lookup.
    #[inline]
    pub(crate) fn with_entry(&mut self, method: &str, key: &str, record: impl FnOnce(&mut Entry)) {
        let table = self.table(method);
        if let Some(entry) = self.methods[table].keys.get_mut(key) {
            record(entry);
            return;
        }
        self.insert_and_record(table, key, record);
    }

    /// Cold path of [`Requests::with_entry`]: the first sighting of a key.
    #[cold]
    fn insert_and_record(&mut self, table: usize, key: &str, record: impl FnOnce(&mut Entry)) {
        let keys = &mut self.methods[table].keys;
        let key = if self.distinct < self.limit {
            self.distinct += 1;
            key
        } else if let Some(other) = keys.get_mut(OTHER_KEY) {
            // Past the limit and `(other)` exists: no allocation for the overflow either.
            record(other);
            return;
        } else {
            OTHER_KEY
        };
        record(keys.entry(Box::from(key)).or_default());
    }

    /// Index of `method`'s table, created on first use.
    #[inline]
    fn table(&mut self, method: &str) -> usize {
        if let Some(i) = self.methods.iter().position(|t| &*t.method == method) {
            return i;
        }
        self.methods.push(MethodTable {
            method: Box::from(method),
            keys: HashMap::new(),
        });
        self.methods.len() - 1
    }

    /// Zeroes every entry, keeping keys, tables and histograms allocated.
    pub(crate) fn zero(&mut self) {
        for table in &mut self.methods {
            table.keys.values_mut().for_each(Entry::zero);
        }
    }

    /// `report_pooled` with no histograms to reuse.
    #[cfg(test)]
    pub(crate) fn report_into(&self, out: &mut BTreeMap<String, EntryReport>) {
        self.report_pooled(out, &mut Vec::new());
    }

    /// Report entries keyed `"METHOD key"`, skipping entries with nothing recorded (as after a
    /// reset), their histograms copied into ones taken from `pool` while it has any. Merges
    /// rather than inserts in case a key string appears twice (say a literal `(other)` key),
    /// so nothing is ever dropped.
    pub(crate) fn report_pooled(
        &self,
        out: &mut BTreeMap<String, EntryReport>,
        pool: &mut Vec<Latency>,
    ) {
        for table in &self.methods {
            for (key, entry) in &table.keys {
                if entry.counts.total() == 0 && entry.latency.is_empty() {
                    continue;
                }
                let report = EntryReport::from_entry(entry, pool);
                match out.entry(format!("{} {key}", table.method)) {
                    Slot::Vacant(slot) => {
                        slot.insert(report);
                    }
                    Slot::Occupied(mut slot) => slot.get_mut().merge(&report),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn hit(requests: &mut Requests, method: &str, key: &str) {
        requests.with_entry(method, key, |e| e.success(Duration::from_millis(1).into()));
    }

    fn report(requests: &Requests) -> BTreeMap<String, EntryReport> {
        let mut out = BTreeMap::new();
        requests.report_into(&mut out);
        out
    }

    #[test]
    fn keys_are_per_method() {
        let mut r = Requests::new();
        hit(&mut r, "GET", "/a");
        hit(&mut r, "GET", "/a");
        hit(&mut r, "POST", "/a");
        hit(&mut r, "GET", "/b");
        let out = report(&r);
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            vec!["GET /a", "GET /b", "POST /a"]
        );
        assert_eq!(out["GET /a"].successes, 2);
        assert_eq!(out["GET /a"].latency.count(), 2);
        assert_eq!(r.distinct, 3);
    }

    #[test]
    fn key_limit_overflows_into_other() {
        let mut r = Requests::new();
        r.set_key_limit(2);
        hit(&mut r, "GET", "/a");
        hit(&mut r, "GET", "/b");
        hit(&mut r, "GET", "/c");
        hit(&mut r, "GET", "/d");
        hit(&mut r, "POST", "/e");
        hit(&mut r, "GET", "/a"); // already tracked: still its own key
        let out = report(&r);
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            vec!["GET (other)", "GET /a", "GET /b", "POST (other)"]
        );
        assert_eq!(out["GET (other)"].successes, 2);
        assert_eq!(out["GET (other)"].latency.count(), 2);
        assert_eq!(out["POST (other)"].successes, 1);
        assert_eq!(out["GET /a"].successes, 2);
    }

    #[test]
    fn zero_keeps_keys_but_reports_nothing() {
        let mut r = Requests::new();
        hit(&mut r, "GET", "/a");
        r.zero();
        assert!(report(&r).is_empty());
        assert_eq!(r.distinct, 1);
        hit(&mut r, "GET", "/a");
        assert_eq!(report(&r)["GET /a"].successes, 1);
    }
}
