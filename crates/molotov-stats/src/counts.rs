//! [`Counts`]: successes, failures, HTTP statuses and error kinds for one tracked thing.

/// Counts for one thing (a scenario or a request kind).
///
/// Statuses and error kinds live in small vectors searched linearly: a test sees a handful of
/// distinct codes, and a short scan over a few cache-resident pairs beats hashing. New entries
/// are inserted in sorted order, so two `Counts` fed the same events compare equal whatever the
/// order of arrival. Only [`Counts::add_error`] with a never-seen kind allocates.
///
/// `add_status` and `add_error` count the status or kind only; whether the event was a success
/// or a failure is the caller's call (a `500` is a successful request but may fail a scenario).
///
/// ```
/// use molotov_stats::Counts;
///
/// let mut a = Counts::default();
/// a.successes += 2;
/// a.add_status(404);
/// a.add_status(200);
/// a.failures += 1;
/// a.add_error("timeout");
///
/// let mut b = Counts::default();
/// b.successes += 1;
/// b.add_status(200);
///
/// a.merge(&b);
/// assert_eq!(a.total(), 4);
/// assert_eq!(a.statuses, vec![(200, 2), (404, 1)]);
/// assert_eq!(a.errors, vec![("timeout".to_owned(), 1)]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    /// Events that succeeded.
    pub successes: u64,
    /// Events that failed.
    pub failures: u64,
    /// HTTP status -> count, sorted by status.
    pub statuses: Vec<(u16, u64)>,
    /// Error kind (e.g. `"connect"`, `"timeout"`, `"AssertionError"`) -> count, sorted by kind.
    pub errors: Vec<(String, u64)>,
}

impl Counts {
    /// Counts one response with `status`.
    #[inline]
    pub fn add_status(&mut self, status: u16) {
        self.add_status_n(status, 1);
    }

    /// Counts one error of `kind`. Allocates only the first time `kind` is seen.
    #[inline]
    pub fn add_error(&mut self, kind: &str) {
        self.add_error_n(kind, 1);
    }

    /// Adds every count of `other` to `self`.
    pub fn merge(&mut self, other: &Counts) {
        self.successes += other.successes;
        self.failures += other.failures;
        for &(status, n) in &other.statuses {
            self.add_status_n(status, n);
        }
        for (kind, n) in &other.errors {
            self.add_error_n(kind, *n);
        }
    }

    /// Successes plus failures.
    pub fn total(&self) -> u64 {
        self.successes + self.failures
    }

    /// Zeroes every counter but keeps the statuses and error kinds already seen, so recording
    /// after a periodic reset does not allocate again. Zero entries are left out of reports.
    pub(crate) fn zero(&mut self) {
        self.successes = 0;
        self.failures = 0;
        self.statuses.iter_mut().for_each(|(_, n)| *n = 0);
        self.errors.iter_mut().for_each(|(_, n)| *n = 0);
    }

    fn add_status_n(&mut self, status: u16, n: u64) {
        // A linear find rather than a binary search: correct even if a caller pushed onto the
        // public vector out of order, and just as fast for a handful of codes.
        if let Some((_, count)) = self.statuses.iter_mut().find(|(s, _)| *s == status) {
            *count += n;
        } else {
            let at = self.statuses.partition_point(|(s, _)| *s < status);
            self.statuses.insert(at, (status, n));
        }
    }

    fn add_error_n(&mut self, kind: &str, n: u64) {
        if let Some((_, count)) = self.errors.iter_mut().find(|(k, _)| k == kind) {
            *count += n;
        } else {
            let at = self.errors.partition_point(|(k, _)| k.as_str() < kind);
            self.errors.insert(at, (kind.to_owned(), n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_count_and_stay_sorted() {
        let mut c = Counts::default();
        for s in [503, 200, 200, 404, 200, 503, 101] {
            c.add_status(s);
        }
        assert_eq!(c.statuses, vec![(101, 1), (200, 3), (404, 1), (503, 2)]);
        assert_eq!(c.total(), 0, "statuses do not decide success or failure");
    }

    #[test]
    fn errors_count_and_stay_sorted() {
        let mut c = Counts::default();
        for k in ["timeout", "connect", "timeout", "AssertionError"] {
            c.add_error(k);
        }
        assert_eq!(
            c.errors,
            vec![
                ("AssertionError".to_owned(), 1),
                ("connect".to_owned(), 1),
                ("timeout".to_owned(), 2),
            ]
        );
    }

    #[test]
    fn merge_adds_and_unions() {
        let mut a = Counts {
            successes: 3,
            failures: 1,
            ..Counts::default()
        };
        a.add_status(200);
        a.add_error("timeout");
        let mut b = Counts {
            successes: 2,
            failures: 4,
            ..Counts::default()
        };
        b.add_status(500);
        b.add_status(200);
        b.add_error("connect");
        b.add_error("timeout");

        a.merge(&b);
        assert_eq!(a.successes, 5);
        assert_eq!(a.failures, 5);
        assert_eq!(a.total(), 10);
        assert_eq!(a.statuses, vec![(200, 2), (500, 1)]);
        assert_eq!(
            a.errors,
            vec![("connect".to_owned(), 1), ("timeout".to_owned(), 2)]
        );
    }

    #[test]
    fn arrival_order_does_not_matter() {
        let mut a = Counts::default();
        let mut b = Counts::default();
        for s in [200, 404, 500] {
            a.add_status(s);
        }
        for s in [500, 200, 404] {
            b.add_status(s);
        }
        a.add_error("x");
        a.add_error("y");
        b.add_error("y");
        b.add_error("x");
        assert_eq!(a, b);
    }

    #[test]
    fn zero_keeps_keys() {
        let mut c = Counts {
            successes: 1,
            failures: 1,
            ..Counts::default()
        };
        c.add_status(200);
        c.add_error("timeout");
        c.zero();
        assert_eq!(c.total(), 0);
        assert_eq!(c.statuses, vec![(200, 0)]);
        assert_eq!(c.errors, vec![("timeout".to_owned(), 0)]);
    }
}
