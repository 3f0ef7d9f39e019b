//! [`Latency`]: an HDR histogram of durations in microseconds, exact under merge.

use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Lowest discernible value. Sub-microsecond latencies record as 0, which HDR keeps exactly.
const LOWEST_US: u64 = 1;
/// Highest trackable value: one hour. A load test waiting longer than that for one response
/// has a problem that finer resolution would not help diagnose.
const MAX_US: u64 = 3_600_000_000;
/// Three significant digits: every value is within 0.1% of what was recorded, which is far
/// below the noise of any network measurement.
const SIGNIFICANT_DIGITS: u8 = 3;
/// The range allocated up front (16 ms, about 30 KB of counters). The histogram grows, by
/// powers of two, the first time a slower sample arrives: a few reallocations over a run at
/// most, instead of ~190 KB per histogram for the whole hour-wide range, which matters when
/// every scenario and request kind carries one.
const INITIAL_HIGH_US: u64 = 16_384;

/// Latency histogram in microseconds (HDR, 3 significant digits, 1 µs .. 1 hour).
///
/// Values above one hour are clamped to one hour rather than rejected: the hot path must never
/// fail or branch on an error. Every bucket is kept, so merging histograms from many workers,
/// processes or machines is exact: the merged histogram is the one a single recorder fed every
/// sample would hold, and its percentiles are true percentiles (not averages of percentiles).
///
/// The counts array covers 16 ms when created and grows the first time a slower sample
/// arrives; recording allocates only then.
///
/// ```
/// use std::time::Duration;
/// use molotov_stats::Latency;
///
/// let mut a = Latency::new();
/// for us in 1..=100 {
///     a.record(Duration::from_micros(us));
/// }
/// let mut b = Latency::new();
/// b.record(Duration::from_secs(7200)); // above the range: clamped to one hour
///
/// a.merge(&b);
/// assert_eq!(a.count(), 101);
/// assert_eq!(a.percentile(50.0), Duration::from_micros(51));
/// assert!(a.max() >= Latency::MAX && a.max() < Latency::MAX + Duration::from_secs(5));
///
/// // JSON keeps every bucket, so a round trip keeps counts and percentiles.
/// let json = serde_json::to_string(&a).unwrap();
/// let back: Latency = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.count(), 101);
/// assert_eq!(back.percentile(99.0), a.percentile(99.0));
/// ```
#[derive(Clone, PartialEq)]
pub struct Latency {
    hist: Histogram<u64>,
}

impl Latency {
    /// The highest latency told apart from others; anything slower is recorded as this.
    pub const MAX: Duration = Duration::from_micros(MAX_US);

    /// An empty histogram covering 16 ms; it grows when a slower sample arrives.
    pub fn new() -> Self {
        Self::with_digits(SIGNIFICANT_DIGITS)
    }

    /// An empty histogram keeping `digits` significant digits (1 to 3; the timeline's
    /// per-interval histograms keep 2, a hundredth of the memory of 3).
    pub(crate) fn with_digits(digits: u8) -> Self {
        match Histogram::new_with_bounds(LOWEST_US, INITIAL_HIGH_US, digits.clamp(1, 3)) {
            Ok(mut hist) => {
                hist.auto(true);
                Self { hist }
            }
            // The bounds are constants that `tests::bounds_are_valid` exercises.
            Err(e) => unreachable!("constant histogram bounds rejected: {e:?}"),
        }
    }

    /// Records one sample. Hot path: no error, no allocation unless the sample is slower than
    /// any before and beyond the current range; clamps to [`Latency::MAX`].
    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.record_us(to_micros(d), 1);
    }

    /// Number of samples recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Smallest sample (to HDR precision); zero when empty.
    pub fn min(&self) -> Duration {
        Duration::from_micros(self.hist.min())
    }

    /// Largest sample (to HDR precision, rounded up to its bucket's top); zero when empty.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.hist.max())
    }

    /// Mean of the samples (to HDR precision); zero when empty.
    pub fn mean(&self) -> Duration {
        // The HDR mean is finite, non-negative and at most about an hour, so this cannot panic.
        Duration::from_secs_f64(self.hist.mean() / 1e6)
    }

    /// The latency that `p` percent of samples are at or below, for `p` in `0.0..=100.0`
    /// (values outside are clamped). Zero when empty.
    pub fn percentile(&self, p: f64) -> Duration {
        Duration::from_micros(self.hist.value_at_percentile(p.clamp(0.0, 100.0)))
    }

    /// How many samples are at most `d` (to the histogram's precision: a sample counts when
    /// its bucket's lowest value is at most `d`).
    pub fn count_at_most(&self, d: Duration) -> u64 {
        self.hist.count_between(0, to_micros(d))
    }

    /// The recorded buckets, `(highest value equivalent to the bucket in µs, count)`, in
    /// increasing order: the whole histogram, as the JSON form writes it.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        buckets(&self.hist)
    }

    /// Adds every sample of `other` to `self`. Exact: counts add up and percentiles are those
    /// of the union of both sample sets.
    pub fn merge(&mut self, other: &Latency) {
        // Both histograms share the constant bounds, so the fast bucket-by-bucket `add` cannot
        // fail; should the bounds ever diverge, re-recording each bucket is still exact.
        if self.hist.add(&other.hist).is_err() {
            for (value, count) in buckets(&other.hist) {
                self.record_us(value.min(MAX_US), count);
            }
        }
    }

    /// Records `count` samples of `us` (at most `MAX_US`), growing the histogram if needed.
    /// `saturating_record` would clamp to the current range instead of growing it.
    #[inline]
    fn record_us(&mut self, us: u64, count: u64) {
        if self.hist.record_n(us, count).is_err() {
            self.hist.saturating_record_n(us, count);
        }
    }

    /// Forgets every sample but keeps the counts array, so a periodic reset never allocates.
    pub fn reset(&mut self) {
        self.hist.reset();
    }

    /// Makes this histogram hold what `other` holds, in the memory it already has (it grows
    /// only if `other` covers a wider range): a snapshot refilled each second allocates nothing
    /// once warm, where a clone of every histogram made the kernel hand out, and take back,
    /// megabytes of fresh pages each time.
    pub fn copy_from(&mut self, other: &Latency) {
        self.hist.reset();
        self.merge(other);
    }
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

/// A summary rather than the tens of thousands of counters the derived form would print.
impl fmt::Debug for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("count", &self.count())
            .field("min", &self.min())
            .field("p50", &self.percentile(50.0))
            .field("p99", &self.percentile(99.0))
            .field("max", &self.max())
            .finish()
    }
}

/// Whole microseconds, saturating at one hour; `u128` from `as_micros` never reaches the
/// histogram so an absurd duration cannot wrap to a small one.
#[inline]
fn to_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).map_or(MAX_US, |us| us.min(MAX_US))
}

/// Every non-empty bucket as (its highest equivalent value, its count). Recording that value
/// lands in the same bucket, which is what makes the serialised form lossless.
fn buckets(hist: &Histogram<u64>) -> impl Iterator<Item = (u64, u64)> + '_ {
    hist.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
}

/// Serialises as `{"count", "min_us", "mean_us", "p50_us", "p90_us", "p95_us", "p99_us",
/// "max_us", "buckets": [[value_us, count], ...]}`. Only `buckets` is data; the rest is there
/// so people (and `jq`) can read a report without a histogram library.
impl Serialize for Latency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let us = |p: f64| self.hist.value_at_percentile(p);
        let mut s = serializer.serialize_struct("Latency", 9)?;
        s.serialize_field("count", &self.count())?;
        s.serialize_field("min_us", &self.hist.min())?;
        s.serialize_field("mean_us", &self.hist.mean())?;
        s.serialize_field("p50_us", &us(50.0))?;
        s.serialize_field("p90_us", &us(90.0))?;
        s.serialize_field("p95_us", &us(95.0))?;
        s.serialize_field("p99_us", &us(99.0))?;
        s.serialize_field("max_us", &self.hist.max())?;
        s.serialize_field("buckets", &Buckets(&self.hist))?;
        s.end()
    }
}

/// The `buckets` list, streamed from the histogram instead of collected into a `Vec`.
struct Buckets<'a>(&'a Histogram<u64>);

impl Serialize for Buckets<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Counted first so formats that need a length up front work too.
        let mut seq = serializer.serialize_seq(Some(buckets(self.0).count()))?;
        for bucket in buckets(self.0) {
            seq.serialize_element(&bucket)?;
        }
        seq.end()
    }
}

/// What deserialisation reads: the buckets only. The derived summary fields are ignored, so a
/// hand-edited or stale summary can never disagree with the samples.
#[derive(Deserialize)]
struct LatencyWire {
    buckets: Vec<(u64, u64)>,
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = LatencyWire::deserialize(deserializer)?;
        let mut latency = Latency::new();
        for (value, count) in wire.buckets {
            latency.record_us(value.min(MAX_US), count);
        }
        Ok(latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Whether `got` is within HDR's 3-significant-digit precision of `want`.
    fn close(got: Duration, want: u64) -> bool {
        let got = u64::try_from(got.as_micros()).unwrap();
        got.abs_diff(want) <= want / 1000 + 1
    }

    fn one_to_ten_thousand() -> Latency {
        let mut l = Latency::new();
        for n in 1..=10_000 {
            l.record(us(n));
        }
        l
    }

    #[test]
    fn bounds_are_valid() {
        assert!(Histogram::<u64>::new_with_bounds(LOWEST_US, MAX_US, SIGNIFICANT_DIGITS).is_ok());
    }

    #[test]
    fn empty_is_all_zero() {
        let l = Latency::default();
        assert!(l.is_empty());
        assert_eq!(l.count(), 0);
        assert_eq!(l.min(), Duration::ZERO);
        assert_eq!(l.max(), Duration::ZERO);
        assert_eq!(l.mean(), Duration::ZERO);
        assert_eq!(l.percentile(50.0), Duration::ZERO);
        assert_eq!(l.percentile(100.0), Duration::ZERO);
    }

    #[test]
    fn percentiles_of_known_data() {
        let l = one_to_ten_thousand();
        assert_eq!(l.count(), 10_000);
        assert!(!l.is_empty());
        assert_eq!(l.min(), us(1));
        assert!(close(l.max(), 10_000), "{:?}", l.max());
        assert!(close(l.mean(), 5_000), "{:?}", l.mean());
        assert!(close(l.percentile(50.0), 5_000), "{:?}", l.percentile(50.0));
        assert!(close(l.percentile(90.0), 9_000));
        assert!(close(l.percentile(99.0), 9_900));
        assert!(close(l.percentile(100.0), 10_000));
        // Out-of-range and NaN percentiles are clamped, not panics.
        assert_eq!(l.percentile(250.0), l.percentile(100.0));
        assert_eq!(l.percentile(-5.0), l.percentile(0.0));
        let _ = l.percentile(f64::NAN);
    }

    #[test]
    fn small_values_are_exact() {
        let mut l = Latency::new();
        l.record(Duration::from_nanos(400)); // below 1 µs: recorded as 0
        l.record(us(3));
        l.record(us(2047));
        assert_eq!(l.min(), Duration::ZERO);
        assert_eq!(l.max(), us(2047));
        assert_eq!(l.percentile(50.0), us(3));
    }

    #[test]
    fn values_above_an_hour_are_clamped() {
        let mut l = Latency::new();
        l.record(Duration::from_secs(2 * 3600));
        l.record(Duration::MAX);
        assert_eq!(l.count(), 2);
        assert!(l.max() >= Latency::MAX);
        assert!(close(l.max(), MAX_US), "{:?}", l.max());
        assert_eq!(to_micros(Duration::MAX), MAX_US);
    }

    #[test]
    fn merge_equals_one_histogram_fed_both() {
        let mut a = Latency::new();
        let mut b = Latency::new();
        let mut both = Latency::new();
        for n in 0..5_000_u64 {
            let x = us(n * 37 % 90_001);
            let y = us(n * n % 1_000_003 + 500);
            a.record(x);
            b.record(y);
            both.record(x);
            both.record(y);
        }
        a.merge(&b);
        assert_eq!(a.count(), 10_000);
        assert_eq!(a, both);
        for p in [0.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            assert_eq!(a.percentile(p), both.percentile(p));
        }
    }

    #[test]
    fn merge_with_empty_is_identity() {
        let mut a = one_to_ten_thousand();
        let before = a.clone();
        a.merge(&Latency::new());
        assert_eq!(a, before);
        let mut empty = Latency::new();
        empty.merge(&before);
        assert_eq!(empty, before);
    }

    #[test]
    fn json_round_trip_keeps_counts_and_percentiles() {
        let mut l = one_to_ten_thousand();
        l.record(Duration::from_secs(3 * 3600));
        l.record(Duration::from_millis(750));
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["count"], 10_002);
        assert_eq!(json["min_us"], 1);
        assert!(json["p50_us"].as_u64().is_some());
        assert!(json["mean_us"].as_f64().is_some());
        let back: Latency = serde_json::from_value(json).unwrap();
        assert_eq!(back, l);
        for p in [0.0, 50.0, 90.0, 95.0, 99.0, 100.0] {
            assert_eq!(back.percentile(p), l.percentile(p));
        }
    }

    #[test]
    fn deserialise_ignores_summary_and_needs_buckets() {
        let l: Latency =
            serde_json::from_str(r#"{"count": 99, "p50_us": 1, "buckets": [[10, 2], [20, 3]]}"#)
                .unwrap();
        assert_eq!(l.count(), 5);
        assert_eq!(l.percentile(50.0), us(20));
        assert!(serde_json::from_str::<Latency>(r#"{"count": 5}"#).is_err());
        let empty: Latency = serde_json::from_str(r#"{"buckets": []}"#).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn reset_forgets_samples() {
        let mut l = one_to_ten_thousand();
        l.reset();
        assert!(l.is_empty());
        assert_eq!(l, Latency::new());
        l.record(us(42));
        assert_eq!(l.count(), 1);
        assert_eq!(l.max(), us(42));
    }

    #[test]
    fn debug_is_a_summary() {
        let text = format!("{:?}", one_to_ten_thousand());
        assert!(text.starts_with("Latency { count: 10000"), "{text}");
        assert!(text.len() < 200, "{text}");
    }
}
