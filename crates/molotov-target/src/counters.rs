//! What the server has seen, readable while it runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The width of a bucket of the arrivals timeline.
pub const ARRIVAL_BUCKET: Duration = Duration::from_millis(10);
/// Buckets of the timeline: its first 5 minutes (requests after that are not in it).
const ARRIVAL_BUCKETS: usize = 30_000;

/// Request and connection counts, shared between the server and whoever watches it.
///
/// Every request is counted except `GET /stats`, so that polling the stats does not disturb
/// them. The benchmark path `/` has its own atomic: it is the path load tests hammer, and a
/// lock there would make the target, not the load generator, the bottleneck.
///
/// The arrivals timeline counts requests per 10 ms since the counters were made, to check the
/// pace of a load (an open-model rate, stages): atomics, no lock.
#[derive(Debug)]
pub struct Counters {
    requests: AtomicU64,
    /// Requests that came over HTTP/2 (`/stats` excluded, as everywhere).
    http2: AtomicU64,
    connections: AtomicU64,
    root: AtomicU64,
    paths: Mutex<HashMap<String, u64>>,
    born: Instant,
    arrivals: Box<[AtomicU64]>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            requests: AtomicU64::new(0),
            http2: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            root: AtomicU64::new(0),
            paths: Mutex::default(),
            born: Instant::now(),
            arrivals: (0..ARRIVAL_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Counters {
    /// Counters at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests per [`ARRIVAL_BUCKET`] since the counters were made, up to the last bucket
    /// with any.
    pub fn arrivals(&self) -> Vec<u64> {
        let mut counts: Vec<u64> = self
            .arrivals
            .iter()
            .map(|c| c.load(Ordering::SeqCst))
            .collect();
        while counts.last() == Some(&0) {
            counts.pop();
        }
        counts
    }

    fn arrive(&self) {
        let bucket = self.born.elapsed().as_millis() / ARRIVAL_BUCKET.as_millis();
        if let Some(count) = usize::try_from(bucket)
            .ok()
            .and_then(|b| self.arrivals.get(b))
        {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests counted so far, over all paths.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests counted so far for one path; a query string in `path` is ignored.
    pub fn requests_to(&self, path: &str) -> u64 {
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        if path == "/" {
            return self.root.load(Ordering::SeqCst);
        }
        self.paths().get(path).copied().unwrap_or(0)
    }

    /// Requests counted so far that came over HTTP/2.
    pub fn http2_requests(&self) -> u64 {
        self.http2.load(Ordering::SeqCst)
    }

    /// Counts one request that came over HTTP/2 (besides its path).
    pub(crate) fn count_http2(&self) {
        self.http2.fetch_add(1, Ordering::SeqCst);
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Per-path request counts, sorted by path; `/` is included once it has been requested.
    pub fn by_path(&self) -> BTreeMap<String, u64> {
        let mut sorted: BTreeMap<String, u64> = self
            .paths()
            .iter()
            .map(|(path, count)| (path.clone(), *count))
            .collect();
        let root = self.root.load(Ordering::SeqCst);
        if root > 0 {
            sorted.insert("/".to_owned(), root);
        }
        sorted
    }

    /// Counts one request to `/` without touching the lock.
    pub(crate) fn count_root(&self) {
        self.arrive();
        self.root.fetch_add(1, Ordering::SeqCst);
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts one request to `path` (already stripped of its query string).
    pub(crate) fn count(&self, path: &str) {
        if path == "/" {
            self.count_root();
            return;
        }
        self.arrive();
        {
            let mut paths = self.paths();
            match paths.get_mut(path) {
                Some(count) => *count += 1,
                None => {
                    paths.insert(path.to_owned(), 1);
                }
            }
        }
        // After the per-path count, so a watcher that sees the total also sees the path.
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts one accepted TCP connection.
    pub(crate) fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// The per-path map; a panic elsewhere while holding it leaves plain counts, still usable.
    fn paths(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.paths.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::Counters;

    #[test]
    fn counts_total_per_path_and_root() {
        let counters = Counters::new();
        counters.count("/echo");
        counters.count("/echo");
        counters.count("/");
        counters.count_root();
        counters.count_connection();
        assert_eq!(counters.requests(), 4);
        assert_eq!(counters.requests_to("/echo"), 2);
        assert_eq!(counters.requests_to("/echo?x=1"), 2);
        assert_eq!(counters.requests_to("/"), 2);
        assert_eq!(counters.requests_to("/missing"), 0);
        assert_eq!(counters.connections(), 1);
        let by_path: Vec<_> = counters.by_path().into_iter().collect();
        assert_eq!(by_path, vec![("/".to_owned(), 2), ("/echo".to_owned(), 2)]);
        let arrivals = counters.arrivals();
        assert_eq!(arrivals.iter().sum::<u64>(), 4, "{arrivals:?}");
        assert_ne!(arrivals.last(), Some(&0));
    }
}
