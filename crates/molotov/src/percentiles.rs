//! [`Percentiles`]: the latency percentiles a run shows, one set for every view (the summary,
//! the dashboard, the derived fields of `--json`), chosen with `--percentiles`.

use std::fmt;
use std::str::FromStr;

/// The percentiles shown, in increasing order; the maximum is always shown after them.
#[derive(Debug, Clone, PartialEq)]
pub struct Percentiles(Vec<f64>);

impl Default for Percentiles {
    fn default() -> Self {
        Percentiles(vec![50.0, 90.0, 95.0, 99.0, 99.9])
    }
}

impl Percentiles {
    /// The values, in increasing order.
    pub fn values(&self) -> &[f64] {
        &self.0
    }

    /// The column label of `p`: `p50`, `p99.9`.
    pub fn label(p: f64) -> String {
        format!("p{}", Self::number(p))
    }

    /// The name of `p`'s field in `--json`: `p50_us`, `p99.9_us`.
    pub fn json_key(p: f64) -> String {
        format!("p{}_us", Self::number(p))
    }

    /// `p` with no trailing zeros: `50`, `99.9`, `99.99`.
    fn number(p: f64) -> String {
        let text = format!("{p:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

impl FromStr for Percentiles {
    type Err = String;

    /// `50,90,99.9`: numbers above 0 and at most 100, in any order (duplicates are shown
    /// once). `max` may be listed; the maximum is shown anyway.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut values = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item.eq_ignore_ascii_case("max") {
                continue;
            }
            let p: f64 = item
                .strip_prefix('p')
                .unwrap_or(item)
                .parse()
                .map_err(|_| {
                    format!("{item:?} is not a percentile (a number such as 99 or 99.9)")
                })?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(format!(
                    "{item} is not a percentile: it must be above 0 and at most 100"
                ));
            }
            values.push(p);
        }
        values.sort_by(f64::total_cmp);
        values.dedup();
        if values.len() > 12 {
            return Err(format!(
                "{text:?} asks for {} percentiles; at most 12 can be shown",
                values.len()
            ));
        }
        Ok(Percentiles(values))
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(|&p| Self::number(p)).collect();
        f.write_str(&items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_labels() {
        let p: Percentiles = "99.9, 50,p90,max,50".parse().unwrap();
        assert_eq!(p.values(), [50.0, 90.0, 99.9]);
        assert_eq!(p.to_string(), "50,90,99.9");
        assert_eq!(Percentiles::label(99.99), "p99.99");
        assert_eq!(Percentiles::json_key(50.0), "p50_us");
        assert_eq!(Percentiles::json_key(99.9), "p99.9_us");
        assert_eq!(Percentiles::default().to_string(), "50,90,95,99,99.9");
        assert!("max".parse::<Percentiles>().unwrap().values().is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_percentile() {
        for bad in ["0", "100.5", "-1", "fifty", "", "50,,90", "nan"] {
            assert!(bad.parse::<Percentiles>().is_err(), "{bad}");
        }
        let many = (1..=13)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(many.parse::<Percentiles>().is_err());
    }
}
