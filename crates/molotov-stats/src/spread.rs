//! [`Spread`]: the sparse latency histogram each interval of a timeline keeps.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A latency histogram kept as its non-empty buckets only: `(highest value of the bucket in
/// µs, count)`, in increasing order. What a closed interval keeps: a few hundred bytes
/// instead of a whole HDR counts array. Merging adds counts bucket by bucket (exact, since
/// every interval histogram has the same buckets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    buckets: Vec<(u64, u64)>,
}

impl Spread {
    /// From `(highest value of the bucket in µs, count)` pairs in increasing order.
    pub(crate) fn from_buckets(buckets: Vec<(u64, u64)>) -> Spread {
        Spread { buckets }
    }

    /// The non-empty buckets kept (what the spread costs in memory: 16 bytes each).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// The samples.
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(0u64, |total, &(_, n)| total.saturating_add(n))
    }

    /// The value `p` percent of the samples are at or below (as HDR computes it), in µs;
    /// `None` when empty.
    pub fn percentile_us(&self, p: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
        // As hdrhistogram: the rank rounded up, at least the first sample.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((p / 100.0 * total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for &(value, n) in &self.buckets {
            seen = seen.saturating_add(n);
            if seen >= rank {
                return Some(value);
            }
        }
        self.buckets.last().map(|&(value, _)| value)
    }

    /// The largest sample's bucket, in µs; `None` when empty.
    pub fn max_us(&self) -> Option<u64> {
        self.buckets
            .iter()
            .rev()
            .find(|(_, n)| *n > 0)
            .map(|&(v, _)| v)
    }

    pub(crate) fn merge(&mut self, other: &Spread) {
        if other.buckets.is_empty() {
            return;
        }
        let mut merged = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut a, mut b) = (
            self.buckets.iter().peekable(),
            other.buckets.iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&(va, na)), Some(&&(vb, nb))) if va == vb => {
                    a.next();
                    b.next();
                    (va, na.saturating_add(nb))
                }
                (Some(&&x), Some(&&y)) => {
                    if x.0 < y.0 {
                        a.next();
                        x
                    } else {
                        b.next();
                        y
                    }
                }
                (Some(&&x), None) => {
                    a.next();
                    x
                }
                (None, Some(&&y)) => {
                    b.next();
                    y
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        self.buckets = merged;
    }
}

/// Serialises as `{"count", "p50_us", "p90_us", "p99_us", "max_us", "buckets"}` (the
/// percentiles `null` when empty); only `buckets` is read back.
impl Serialize for Spread {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Spread", 6)?;
        s.serialize_field("count", &self.count())?;
        s.serialize_field("p50_us", &self.percentile_us(50.0))?;
        s.serialize_field("p90_us", &self.percentile_us(90.0))?;
        s.serialize_field("p99_us", &self.percentile_us(99.0))?;
        s.serialize_field("max_us", &self.max_us())?;
        s.serialize_field("buckets", &self.buckets)?;
        s.end()
    }
}

#[derive(Deserialize)]
struct SpreadWire {
    #[serde(default)]
    buckets: Vec<(u64, u64)>,
}

impl<'de> Deserialize<'de> for Spread {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut buckets = SpreadWire::deserialize(deserializer)?.buckets;
        // A file may have been edited by hand: keep the invariant (sorted, one per value).
        buckets.sort_unstable_by_key(|&(v, _)| v);
        buckets.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 = kept.1.saturating_add(later.1);
                true
            } else {
                false
            }
        });
        buckets.retain(|&(_, n)| n > 0);
        Ok(Spread { buckets })
    }
}
