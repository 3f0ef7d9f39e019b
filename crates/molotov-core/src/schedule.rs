//! The arithmetic of load over time: [`Stages`] (how a rate or a worker count moves, k6's
//! ramping stages) and [`Schedule`] (when run `k` of an open-model run is due).
//!
//! Pure functions of time, tested without a clock: the engine asks them, it does not keep
//! their state. A rate ramps linearly over each stage from where the previous stage ended: over
//! a stage from `r0` to `r1` runs per second lasting `d`, the runs started by `t` seconds into
//! it are `r0·t + (r1 − r0)·t²/(2d)`, and run `k` is due when that count reaches `k`, so
//! fractional runs carry over from one stage to the next and nothing drifts: due times are
//! absolute offsets from the start of the schedule, never sums of intervals.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One stage: move to `target` over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Where it ends: runs per second, or workers.
    pub target: f64,
}

/// Stages one after another (`30s:200,1m:200,15s:0`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stages(pub Vec<Stage>);

impl Stages {
    /// The whole duration.
    pub fn duration(&self) -> Duration {
        self.0.iter().map(|s| s.duration).sum()
    }

    /// The value at `t` (seconds from the start) when starting from `from`: linear within a
    /// stage; after the last stage, its target.
    pub fn value_at(&self, from: f64, t: f64) -> f64 {
        let mut start = from;
        let mut at = 0.0;
        for stage in &self.0 {
            let d = stage.duration.as_secs_f64();
            if t < at + d {
                return start + (stage.target - start) * (t - at) / d;
            }
            at += d;
            start = stage.target;
        }
        start
    }
}

impl FromStr for Stages {
    type Err = String;

    /// `DURATION:TARGET[,DURATION:TARGET...]`; a duration is a number with an optional unit
    /// (`ms`, `s`, `m`, `h`; seconds without one), a target a number of at least 0.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let stages = text
            .split(',')
            .map(|item| {
                let item = item.trim();
                let bad =
                    || format!("{item:?} is not a stage: write DURATION:TARGET, as in 30s:100");
                let (duration, target) = item.split_once(':').ok_or_else(bad)?;
                let duration = parse_duration(duration.trim()).ok_or_else(bad)?;
                let target: f64 = target.trim().parse().map_err(|_| bad())?;
                if !target.is_finite() || target < 0.0 {
                    return Err(format!(
                        "{item:?}: the target must be a number of at least 0"
                    ));
                }
                if duration.is_zero() {
                    return Err(format!("{item:?}: a stage must last more than 0 seconds"));
                }
                Ok(Stage { duration, target })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Stages(stages))
    }
}

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|s| format!("{}s:{}", s.duration.as_secs_f64(), s.target))
            .collect();
        f.write_str(&items.join(","))
    }
}

/// The longest duration accepted in a stage (100 years: anything longer would overflow the
/// clock's arithmetic, and is no load test).
const MAX_SECONDS: f64 = 100.0 * 365.0 * 86_400.0;

/// `90`, `1.5s`, `250ms`, `2m`, `1h`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.trim().parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    (seconds.is_finite() && (0.0..=MAX_SECONDS).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// When the runs of an open-model run are due: a constant rate, or stages from a starting
/// rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Runs per second at the start.
    start_rate: f64,
    /// Stages from there; none: the start rate for ever.
    stages: Stages,
    /// Cumulative runs at the end of each stage (a count, fractional).
    ends: Vec<f64>,
}

impl Schedule {
    /// `rate` runs per second for ever (until the run's duration).
    pub fn constant(rate: f64) -> Self {
        Schedule::ramping(rate, Stages::default())
    }

    /// From `start_rate`, through `stages`; the schedule ends with the last stage.
    pub fn ramping(start_rate: f64, stages: Stages) -> Self {
        let mut ends = Vec::with_capacity(stages.0.len());
        let (mut total, mut rate) = (0.0, start_rate);
        for stage in &stages.0 {
            total += f64::midpoint(rate, stage.target) * stage.duration.as_secs_f64();
            ends.push(total);
            rate = stage.target;
        }
        Schedule {
            start_rate,
            stages,
            ends,
        }
    }

    /// The rate at `t` seconds from the start, runs per second.
    pub fn rate_at(&self, t: f64) -> f64 {
        if self.stages.0.is_empty() {
            return self.start_rate;
        }
        if t >= self.stages.duration().as_secs_f64() {
            return 0.0;
        }
        self.stages.value_at(self.start_rate, t)
    }

    /// How many runs are due by `t` seconds from the start (a count, fractional).
    pub fn runs_by(&self, t: f64) -> f64 {
        if self.stages.0.is_empty() {
            return self.start_rate * t;
        }
        let (mut done, mut at, mut rate) = (0.0, 0.0, self.start_rate);
        for stage in &self.stages.0 {
            let d = stage.duration.as_secs_f64();
            if t < at + d {
                let x = t - at;
                return done + rate * x + (stage.target - rate) * x * x / (2.0 * d);
            }
            done += f64::midpoint(rate, stage.target) * d;
            at += d;
            rate = stage.target;
        }
        done
    }

    /// When run `k` (from 0) is due, from the start; `None` when the schedule ends first.
    pub fn due(&self, k: u64) -> Option<Duration> {
        // Run k is due when the count of runs reaches k: run 0 at the start.
        let k = k as f64;
        if self.stages.0.is_empty() {
            return (self.start_rate > 0.0)
                .then(|| seconds(k / self.start_rate))
                .flatten();
        }
        let (mut before, mut at, mut rate) = (0.0, 0.0, self.start_rate);
        for (stage, &end) in self.stages.0.iter().zip(&self.ends) {
            let d = stage.duration.as_secs_f64();
            if k < end {
                let n = k - before;
                let slope = (stage.target - rate) / d;
                // rate·x + slope·x²/2 = n, for the x in [0, d) where it first holds.
                let x = if slope.abs() < 1e-12 {
                    n / rate
                } else {
                    let root = (rate * rate + 2.0 * slope * n).max(0.0).sqrt();
                    (root - rate) / slope
                };
                return seconds(at + x.clamp(0.0, d));
            }
            before = end;
            at += d;
            rate = stage.target;
        }
        None
    }

    /// Whether the schedule ends (with its last stage), and when.
    pub fn end(&self) -> Option<Duration> {
        (!self.stages.0.is_empty()).then(|| self.stages.duration())
    }
}

/// Seconds as a `Duration`, when they fit.
fn seconds(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values: 0 and whole numbers are exact in f64"
)]
mod tests {
    use super::*;

    fn stages(text: &str) -> Stages {
        text.parse().unwrap()
    }

    fn secs(d: Option<Duration>) -> f64 {
        d.unwrap().as_secs_f64()
    }

    #[test]
    fn a_constant_rate_has_absolute_due_times() {
        let s = Schedule::constant(200.0);
        assert_eq!(s.due(0), Some(Duration::ZERO));
        assert!((secs(s.due(1)) - 0.005).abs() < 1e-12);
        // No drift: run a million is at 5000 s, not at the sum of a million rounded steps.
        assert!((secs(s.due(1_000_000)) - 5000.0).abs() < 1e-9);
        assert_eq!(Schedule::constant(0.0).due(0), None);
        assert!((secs(Schedule::constant(0.5).due(3)) - 6.0).abs() < 1e-12);
    }

    #[test]
    fn a_ramp_from_0_to_10_over_10_s_has_50_runs_at_sqrt_2k() {
        let s = Schedule::ramping(0.0, stages("10s:10"));
        for k in 0..50 {
            let due = secs(s.due(k));
            assert!(
                (due - (2.0 * k as f64).sqrt()).abs() < 1e-9,
                "run {k} at {due}"
            );
        }
        assert_eq!(s.due(50), None, "50 runs in all");
        assert!((s.runs_by(10.0) - 50.0).abs() < 1e-9);
        assert_eq!(s.end(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn stages_carry_fractions_over_and_follow_their_profile() {
        let s = Schedule::ramping(0.0, stages("1s:1.5,2s:1.5,1s:0"));
        // 0.75 runs in the first stage, 3 in the second, 0.75 in the last: 4.5 in all.
        assert!((s.runs_by(4.0) - 4.5).abs() < 1e-9);
        let dues: Vec<f64> = (0..5)
            .map(|k| s.due(k).map_or(f64::NAN, |d| d.as_secs_f64()))
            .collect();
        assert_eq!(dues[0], 0.0);
        // Run 1 needs the 0.25 left over from the first stage: 1 s + 0.25/1.5 s.
        assert!((dues[1] - (1.0 + 0.25 / 1.5)).abs() < 1e-9, "{dues:?}");
        // Run 4: 0.25 into the last stage, 1.5 down to 0 over 1 s: 1.5x - 0.75x² = 0.25.
        assert!(
            (dues[4] - (3.0 + 1.0 - (2.0f64 / 3.0).sqrt())).abs() < 1e-9,
            "{dues:?}"
        );
        assert!(s.due(5).is_none());
        // Due times are increasing, and each is where the count reaches its index.
        for k in 0..5u64 {
            let t = secs(s.due(k));
            assert!((s.runs_by(t) - k as f64).abs() < 1e-9, "run {k}");
        }
        assert!((s.rate_at(0.5) - 0.75).abs() < 1e-12);
        assert!((s.rate_at(3.5) - 0.75).abs() < 1e-12);
        assert_eq!(s.rate_at(5.0), 0.0);
    }

    #[test]
    fn a_rate_stages_start_from_the_given_rate() {
        let s = Schedule::ramping(100.0, stages("1s:100"));
        assert!((s.runs_by(1.0) - 100.0).abs() < 1e-9);
        assert!((secs(s.due(50)) - 0.5).abs() < 1e-9);
        let down = Schedule::ramping(10.0, stages("10s:0"));
        assert!((s.rate_at(0.0) - 100.0).abs() < 1e-12);
        assert!((down.runs_by(10.0) - 50.0).abs() < 1e-9);
        // 10t - t²/2 = 49.
        assert!((secs(down.due(49)) - (20.0 - 8.0f64.sqrt()) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn stages_and_durations_parse_or_say_why_not() {
        let s = stages("30s:200, 1m:200,15s:0");
        assert_eq!(s.0.len(), 3);
        assert_eq!(s.duration(), Duration::from_secs(105));
        assert_eq!(s.value_at(0.0, 15.0), 100.0);
        assert_eq!(s.value_at(0.0, 1000.0), 0.0);
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        for bad in [
            "", "30s", "30s:", ":5", "30x:5", "30s:-1", "0s:5", "1e30s:5", "30s:abc",
        ] {
            assert!(bad.parse::<Stages>().is_err(), "{bad:?}");
        }
    }
}
