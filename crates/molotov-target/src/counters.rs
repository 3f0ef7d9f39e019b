//! What the server has seen, readable while it runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Request and connection counts, shared between the server and whoever watches it.
///
/// Every request is counted except `GET /stats`, so that polling the stats does not disturb
/// them. The benchmark path `/` has its own atomic: it is the path load tests hammer, and a
/// lock there would make the target, not the load generator, the bottleneck.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    connections: AtomicU64,
    root: AtomicU64,
    paths: Mutex<HashMap<String, u64>>,
}

impl Counters {
    /// Counters at zero.
    pub fn new() -> Self {
        Self::default()
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
        self.root.fetch_add(1, Ordering::SeqCst);
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts one request to `path` (already stripped of its query string).
    pub(crate) fn count(&self, path: &str) {
        if path == "/" {
            self.count_root();
            return;
        }
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
    }
}
