//! `--threshold EXPR`: pass/fail conditions over a run's results, evaluated live (every 2 s,
//! on the run's latest statistics) and at the end; a failed one makes the exit code 99.
//!
//! `parse`: the grammar ([`Threshold`]). This module: what an expression measures in a
//! [`Observed`] run ([`Verdict`]), and [`Thresholds`], the list a run carries. A statistic of
//! nothing (a percentile without samples, a share of zero runs) is *no data*, which fails:
//! a threshold never passes silently. A count of zero is data.

mod parse;
mod watch;

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::stats::{EntryReport, Latency, Report};
use molotov_core::{ArrivalSummary, GeneratorLoad, Summary};
use serde::Serialize;

use parse::{Arrival, Form, Limit, Load, Metric, Stat, StatusMatch, Target};
pub(crate) use parse::{Threshold, ThresholdError};
pub(crate) use watch::{LiveVerdicts, Publish, ThresholdWatch};

/// What the thresholds are evaluated on.
pub(crate) struct Observed<'a> {
    pub(crate) report: &'a Report,
    /// The time the runs span.
    pub(crate) elapsed: Duration,
    /// What the open model did (`None` in the closed model).
    pub(crate) arrivals: Option<&'a ArrivalSummary>,
    /// How busy the load generator's thread was (`None` where it is not measured).
    pub(crate) generator: Option<&'a GeneratorLoad>,
}

impl<'a> Observed<'a> {
    /// A finished run's results.
    pub(crate) fn summary(summary: &'a Summary) -> Observed<'a> {
        Observed {
            report: &summary.report,
            elapsed: summary.elapsed,
            arrivals: summary.arrivals.as_ref(),
            generator: summary.generator.as_ref(),
        }
    }
}

/// A threshold's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Verdict {
    pub(crate) expression: String,
    /// The measured value in the limit's unit (µs, a fraction, a count, per second); `None`
    /// without data.
    pub(crate) value: Option<f64>,
    /// The measured value for people (`12.3 ms`, `0.83 %`), `no data` without data.
    pub(crate) shown: String,
    /// The limit for people (`< 200 ms`).
    pub(crate) limit: String,
    pub(crate) passed: bool,
    pub(crate) no_data: bool,
    /// Whether it is an `abort` threshold.
    pub(crate) abort: bool,
}

/// The thresholds of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Thresholds(pub(crate) Vec<Threshold>);

impl Thresholds {
    /// Parses every expression; the first bad one is the error.
    pub(crate) fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Thresholds, ThresholdError> {
        texts
            .iter()
            .map(|t| t.as_ref().parse())
            .collect::<Result<_, _>>()
            .map(Thresholds)
    }

    /// Checks the scenario names the thresholds mention against the test's.
    pub(crate) fn check_scenarios(&self, names: &[&str]) -> Result<(), ThresholdError> {
        for t in &self.0 {
            let (Metric::Latency(target, _)
            | Metric::Count(target)
            | Metric::Rate(target)
            | Metric::Failures(target, _)) = &t.metric
            else {
                continue;
            };
            if let (false, Some(name)) = (target.requests, &target.name) {
                if !names.contains(&name.as_str()) {
                    return Err(ThresholdError {
                        expression: t.text.clone(),
                        reason: format!(
                            "no scenario is named {name:?} (the test has: {})",
                            names.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Refuses the open model's metrics in a closed-model run, where they measure nothing.
    pub(crate) fn check_model(&self, open: bool) -> Result<(), ThresholdError> {
        let closed_only = self.0.iter().find_map(|t| match t.metric {
            Metric::Arrivals(which, _) if !open => Some((t, which.name())),
            Metric::Lag(_) if !open => Some((t, "lag")),
            _ => None,
        });
        match closed_only {
            Some((t, name)) => Err(ThresholdError {
                expression: t.text.clone(),
                reason: format!(
                    "`{name}` measures the open model's runs: add --rate or --rate-stages"
                ),
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every threshold's verdict on `observed`.
    pub(crate) fn evaluate(&self, observed: &Observed<'_>) -> Vec<Verdict> {
        self.0.iter().map(|t| t.evaluate(observed)).collect()
    }
}

impl Threshold {
    /// This threshold's verdict on `observed`.
    pub(crate) fn evaluate(&self, observed: &Observed<'_>) -> Verdict {
        let value = measure(&self.metric, observed);
        let limit = match self.limit {
            Limit::Micros(v) | Limit::Ratio(v) | Limit::Number(v) => v,
        };
        let passed = value.is_some_and(|v| self.op.holds(v, limit));
        let mut shown = value.map_or_else(
            || "no data".to_owned(),
            |v| show(&self.metric, self.limit, v),
        );
        if let Metric::Errors(kind, _) = &self.metric {
            if value == Some(0.0) && !is_http_kind(kind) {
                // A misspelt kind would pass silently otherwise.
                shown.push_str(" (no failure of this kind was seen)");
            }
        }
        Verdict {
            expression: self.text.clone(),
            value,
            shown,
            limit: format!("{} {}", self.op.symbol(), show_limit(self.limit)),
            passed,
            no_data: value.is_none(),
            abort: self.abort.is_some(),
        }
    }
}

/// The metric's value, `None` when there is nothing to measure.
fn measure(metric: &Metric, observed: &Observed<'_>) -> Option<f64> {
    let report = observed.report;
    match metric {
        Metric::Latency(target, stat) => latency(&entry(report, target)?.latency, *stat),
        Metric::Count(target) => Some(entry(report, target).map_or(0, |e| e.total()) as f64),
        Metric::Rate(target) => {
            let secs = observed.elapsed.as_secs_f64();
            (secs > 0.0).then(|| entry(report, target).map_or(0, |e| e.total()) as f64 / secs)
        }
        Metric::Failures(target, form) => {
            let e = entry(report, target);
            let (failures, total) = e.map_or((0, 0), |e| (e.failures, e.total()));
            share(failures, total, *form)
        }
        Metric::Errors(kind, form) => {
            // A request error kind counts requests; any other (an exception class, a Rust
            // failure kind) counts scenario runs.
            let entry = if is_http_kind(kind) {
                report.request_totals()
            } else {
                report.totals()
            };
            let count = entry.errors.get(kind).copied().unwrap_or(0);
            share(count, entry.total(), *form)
        }
        Metric::Status(matching, form) => {
            let requests = report.request_totals();
            let count = requests
                .statuses
                .iter()
                .filter(|(code, _)| {
                    code.parse::<u16>().is_ok_and(|code| match matching {
                        StatusMatch::Code(c) => code == *c,
                        StatusMatch::Class(class) => code / 100 == *class,
                    })
                })
                .map(|(_, n)| n)
                .sum();
            share(count, requests.total(), *form)
        }
        Metric::Arrivals(which, form) => {
            let a = observed.arrivals?;
            let (count, total) = match which {
                Arrival::Late => (a.late, a.started),
                Arrival::Dropped => (a.dropped, a.scheduled),
                Arrival::Started => (a.started, a.scheduled),
            };
            share(count, total, *form)
        }
        Metric::Lag(stat) => latency(&observed.arrivals?.lag, *stat),
        Metric::Generator(load) => {
            let g = observed.generator.filter(|g| g.seconds > 0.0)?;
            Some(match load {
                Load::Busy => g.busy(),
                Load::Peak => g.peak.clamp(0.0, 1.0),
                Load::Saturated(Form::Ratio) => g.share(g.saturated_seconds),
                Load::Saturated(Form::Count) => g.saturated_seconds,
                Load::SaturatedTime => g.saturated_seconds * 1e6,
            })
        }
    }
}

/// The entry a target measures: all scenarios (requests) merged, or the one named. `None`
/// for a name that never ran.
fn entry(report: &Report, target: &Target) -> Option<EntryReport> {
    let map = if target.requests {
        &report.requests
    } else {
        &report.scenarios
    };
    match &target.name {
        Some(name) => map.get(name).cloned(),
        None if target.requests => Some(report.request_totals()),
        None => Some(report.totals()),
    }
}

fn latency(l: &Latency, stat: Stat) -> Option<f64> {
    if l.is_empty() {
        return None;
    }
    let d = match stat {
        Stat::Percentile(p) => l.percentile(p),
        Stat::Min => l.min(),
        Stat::Max => l.max(),
        Stat::Mean => l.mean(),
    };
    Some(d.as_secs_f64() * 1e6)
}

fn share(count: u64, total: u64, form: Form) -> Option<f64> {
    match form {
        Form::Count => Some(count as f64),
        Form::Ratio => (total > 0).then(|| count as f64 / total as f64),
    }
}

/// The error kinds of requests (`molotov_http`): a scenario that failed with one of them
/// failed because of a request, already counted.
fn is_http_kind(kind: &str) -> bool {
    molotov_core::http::Kind::ALL
        .iter()
        .any(|k| k.name() == kind)
}

fn show(metric: &Metric, limit: Limit, value: f64) -> String {
    match (metric, limit) {
        (Metric::Latency(..) | Metric::Lag(_) | Metric::Generator(Load::SaturatedTime), _) => {
            show_micros(value)
        }
        (Metric::Generator(Load::Saturated(Form::Count)), _) => format!("{value:.1} s"),
        (Metric::Rate(_), _) => format!("{value:.1}/s"),
        (_, Limit::Ratio(_)) => format!("{} %", three_digits(value * 100.0)),
        _ => format!("{value:.0}"),
    }
}

fn show_limit(limit: Limit) -> String {
    match limit {
        Limit::Micros(us) => show_micros(us),
        Limit::Ratio(r) => format!("{} %", three_digits(r * 100.0)),
        Limit::Number(n) => three_digits(n),
    }
}

/// A duration in µs as the summary writes latencies (`0.85ms`, `12.3ms`, `1.25s`).
fn show_micros(us: f64) -> String {
    crate::render::latency(Duration::try_from_secs_f64(us / 1e6).unwrap_or(Duration::MAX))
}

/// Three significant digits, without trailing zeros (`12.3`, `0.0412`, `1200`).
fn three_digits(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the decimal exponent of a finite f64 is within ±330"
    )]
    let digits = v.abs().log10().floor() as i32;
    let decimals = usize::try_from((2 - digits).max(0)).unwrap_or(0);
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// The thresholds' verdicts, one line each (nothing without thresholds).
pub(crate) fn summary(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let mut out = format!(
        "\nThresholds: {}\n",
        if failed == 0 {
            "all passed".to_owned()
        } else {
            format!("{failed} of {} failed (exit code 99)", verdicts.len())
        }
    );
    for v in verdicts {
        let mark = if v.passed { "✓" } else { "✗" };
        let _ = writeln!(
            out,
            "  {mark} {}   {} (limit {})",
            v.expression, v.shown, v.limit
        );
    }
    out
}

#[cfg(test)]
mod tests;
