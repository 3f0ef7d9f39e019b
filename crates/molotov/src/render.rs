//! Text for people: the final summary (Molotov's `SUCCESSES: n | FAILURES: n` block plus
//! per-scenario and per-request tables), durations, and errors with their causes.

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::stats::{EntryReport, Latency};
use molotov_core::{Failure, StopCause, Summary};

use crate::percentiles::Percentiles;
use crate::sizing::SizingOutcome;

/// How the summary is laid out.
pub(crate) struct SummaryStyle<'a> {
    /// The processes that ran.
    pub(crate) processes: usize,
    /// The latency columns.
    pub(crate) percentiles: &'a Percentiles,
    /// Draw the latency histogram of the requests (the one-URL mode, as `hey` and `oha` do).
    pub(crate) chart: bool,
    /// Whether `-f` was given (if not, a run that fails is told how to fail CI).
    pub(crate) fail_given: bool,
    /// The open model's most workers per process.
    pub(crate) max_workers: Option<usize>,
}

/// The banner printed when a run starts.
pub(crate) fn banner() -> String {
    format!(
        "**** Molotov v{}. Happy breaking! ****",
        env!("CARGO_PKG_VERSION")
    )
}

/// `1.04 seconds`, `1 minute and 5.20 seconds` (Molotov's footer style).
pub(crate) fn elapsed(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        return format!("{secs:.2} seconds");
    }
    let minutes = d.as_secs() / 60;
    let rest = secs - (minutes * 60) as f64;
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("{minutes} {unit} and {rest:.2} seconds")
}

/// A latency, short: `0.42ms`, `12.3ms`, `250ms`, `1.20s`.
pub(crate) fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}ms")
    } else if ms < 100.0 {
        format!("{ms:.1}ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

/// The causes of an error, one indented line each, then a [`Failure`]'s detail (a traceback).
pub(crate) fn error_detail(text: &mut String, error: &(dyn std::error::Error + 'static)) {
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = writeln!(text, "  caused by: {cause}");
        source = cause.source();
    }
    if let Some(detail) = error.downcast_ref::<Failure>().and_then(Failure::detail) {
        for line in detail.lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
}

/// What `--sizing` found, before the summary.
pub(crate) fn sizing(outcome: &SizingOutcome, stop: Option<StopCause>) -> String {
    if let Some(reached) = &outcome.reached {
        return format!(
            "Sizing is over: a failure ratio of {:.2} % (tolerance {:.2} %) was reached with {} \
             worker{} running, after {}.\n",
            reached.ratio,
            outcome.tolerance,
            reached.workers,
            if reached.workers == 1 { "" } else { "s" },
            elapsed(Duration::from_secs_f64(reached.after_seconds)),
        );
    }
    let why = match stop {
        Some(StopCause::Deadline) => "the duration (-d) was reached",
        Some(StopCause::Interrupted) => "interrupted",
        Some(StopCause::FailFast) => "stopped at the first failure (-x)",
        Some(StopCause::FixtureFailed) => "a fixture failed",
        Some(StopCause::Threshold) => "a threshold marked abort failed",
        Some(StopCause::Sizing) | None => "the workers ran out of work",
    };
    format!(
        "Sizing was not finished ({why}): the failure ratio stayed within {:.2} % ({} failures \
         in the last {} runs).\n",
        outcome.tolerance, outcome.window_failures, outcome.window_runs
    )
}

/// The final summary.
pub(crate) fn summary(summary: &Summary, style: &SummaryStyle<'_>) -> String {
    let mut out = String::new();
    head(&mut out, summary, style.processes);
    if let Some(arrivals) = crate::arrivals::summary(summary, style.max_workers, style.processes) {
        out.push_str(&arrivals);
    }
    if let Some(generator) = crate::generator::summary(summary, style.processes) {
        out.push_str(&generator);
    }
    let elapsed = summary.elapsed;
    for (title, entries) in [
        ("Scenario", &summary.report.scenarios),
        ("Request", &summary.report.requests),
    ] {
        if !entries.is_empty() {
            out.push('\n');
            table(&mut out, title, entries.iter(), elapsed, style.percentiles);
        }
    }
    out.push_str(&crate::websockets::table(&summary.report.websockets));
    if style.chart {
        let latency = summary.report.request_totals().latency;
        if !latency.is_empty() {
            out.push_str("\nResponse time histogram:\n");
            out.push_str(&histogram(&latency, 10, 40));
        }
    }
    if let Some(line) = failing(&summary.report.totals(), style.fail_given) {
        let _ = write!(out, "\n{line}");
    }
    notes(&mut out, summary);
    let _ = writeln!(
        out,
        "\nSUCCESSES: {} | FAILURES: {}",
        summary.successes(),
        summary.failures()
    );
    out.push_str("*** Bye ***\n");
    out
}

/// Why the run stopped, the fixtures that failed, how long it ran and with what.
fn head(out: &mut String, summary: &Summary, processes: usize) {
    if let Some(stop) = summary.stop {
        let why = match stop {
            StopCause::Deadline => "the duration (-d) was reached",
            StopCause::Interrupted => "interrupted",
            StopCause::FailFast => "stopped at the first failure (-x)",
            StopCause::FixtureFailed => "a fixture failed",
            StopCause::Sizing => "the sizing tolerance was reached",
            StopCause::Threshold => "a threshold marked abort failed",
        };
        let _ = writeln!(out, "Stopped: {why}");
    }
    for failure in &summary.fixture_failures {
        let who = failure
            .worker
            .map(|w| format!(" (worker {w})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "Fixture failed: {}(){who}: {}",
            failure.fixture, failure.message
        );
    }
    let _ = writeln!(
        out,
        "Ran for {} with {} worker{} in {processes} process{}",
        elapsed(summary.elapsed),
        summary.max_workers,
        if summary.max_workers == 1 { "" } else { "s" },
        if processes == 1 { "" } else { "es" },
    );
}

/// What else the totals should be read with: crashed processes, cancelled runs, dropped lines.
fn notes(out: &mut String, summary: &Summary) {
    if summary.crashed_processes > 0 {
        let n = summary.crashed_processes;
        let _ = writeln!(
            out,
            "\n{n} worker process{} crashed: these totals are from the surviving processes only",
            if n == 1 { "" } else { "es" }
        );
    }
    if summary.cancelled > 0 {
        let (runs, were) = if summary.cancelled == 1 {
            ("run", "was")
        } else {
            ("runs", "were")
        };
        let _ = writeln!(
            out,
            "\n{} scenario {runs} {were} cancelled in flight",
            summary.cancelled
        );
    }
    if summary.dropped_notices > 0 {
        let (lines, were) = if summary.dropped_notices == 1 {
            ("line", "was")
        } else {
            ("lines", "were")
        };
        let _ = writeln!(
            out,
            "{} console {lines} {were} dropped because the output did not keep up",
            summary.dropped_notices
        );
    }
}

/// One line when many runs failed: what they failed with, and how to make CI notice.
pub(crate) fn failing(totals: &EntryReport, fail_given: bool) -> Option<String> {
    let total = totals.total();
    if totals.failures == 0 || totals.failures * 2 < total {
        return None;
    }
    let what = totals.main_error().unwrap_or_else(|| "error".to_owned());
    let mut line = if totals.successes == 0 {
        format!("Every run failed: {what}\n")
    } else {
        let share = totals.failures as f64 * 100.0 / total as f64;
        format!("{share:.1} % of the runs failed, most often: {what}\n")
    };
    if !fail_given {
        line.push_str("(-f 1 makes the exit code 1 when a run fails)\n");
    }
    Some(line)
}

/// The latency columns of an entry: one per percentile, then the maximum; `-` when nothing
/// succeeded (failures are timed apart, and a failed connect is not a response time).
pub(crate) fn latency_cells(l: &Latency, percentiles: &Percentiles) -> Vec<String> {
    let values = percentiles.values().iter().map(|&p| l.percentile(p));
    values
        .chain([l.max()])
        .map(|d| {
            if l.is_empty() {
                "-".to_owned()
            } else {
                latency(d)
            }
        })
        .collect()
}

fn table<'a>(
    out: &mut String,
    title: &str,
    rows: impl Iterator<Item = (&'a String, &'a EntryReport)>,
    elapsed: Duration,
    percentiles: &Percentiles,
) {
    let rows: Vec<_> = rows.collect();
    let width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    let _ = write!(
        out,
        "{title:<width$}  {:>9} {:>9} {:>9} {:>9}",
        "count", "ok", "failed", "rate/s"
    );
    for p in percentiles.values() {
        let _ = write!(out, " {:>8}", Percentiles::label(*p));
    }
    let _ = writeln!(out, " {:>8}  outcomes", "max");
    for (name, entry) in rows {
        let _ = write!(
            out,
            "{name:<width$}  {:>9} {:>9} {:>9} {:>9.1}",
            entry.total(),
            entry.successes,
            entry.failures,
            entry.rate(elapsed),
        );
        for cell in latency_cells(&entry.latency, percentiles) {
            let _ = write!(out, " {cell:>8}");
        }
        let _ = writeln!(out, "  {}", outcomes(entry));
    }
}

/// A text chart of `latency`: `rows` buckets from the fastest to the slowest sample (spaced
/// evenly, or by powers when the slowest is far slower than the fastest), each with its count
/// and a bar up to `width` wide.
pub(crate) fn histogram(samples: &Latency, rows: u32, width: usize) -> String {
    let (min, max) = (samples.min().as_secs_f64(), samples.max().as_secs_f64());
    let rows = rows.max(1);
    let logarithmic = min > 0.0 && max / min > 20.0;
    let edge = |i: u32| -> f64 {
        let f = f64::from(i) / f64::from(rows);
        if logarithmic {
            min * (max / min).powf(f)
        } else {
            min + (max - min) * f
        }
    };
    let mut buckets = Vec::new();
    let mut counted = 0;
    for i in 1..=rows {
        let high = Duration::from_secs_f64(edge(i));
        let below = if i == rows {
            samples.count()
        } else {
            samples.count_at_most(high)
        };
        buckets.push((high, below.saturating_sub(counted)));
        counted = counted.max(below);
    }
    let peak = buckets.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let digits = peak.to_string().len();
    let mut out = String::new();
    for (high, n) in buckets {
        // The bar's length is rounded up so that any count shows.
        let bar = usize::try_from((n * width as u64).div_ceil(peak)).unwrap_or(width);
        let _ = writeln!(
            out,
            "  {:>8} [{n:>digits$}] {}",
            latency(high),
            "■".repeat(bar)
        );
    }
    out
}

/// `200: 1200, 500: 3, connect: 2` (and `retried: 4` when requests were sent again).
fn outcomes(entry: &EntryReport) -> String {
    let statuses = entry.statuses.iter().map(|(s, n)| format!("{s}: {n}"));
    let errors = entry.errors.iter().map(|(k, n)| format!("{k}: {n}"));
    let sent_again = entry.transfer.retries;
    let retried = (sent_again > 0).then(|| format!("retried: {sent_again}"));
    statuses
        .chain(errors)
        .chain(retried)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_molotov() {
        assert_eq!(elapsed(Duration::from_millis(1040)), "1.04 seconds");
        assert_eq!(
            elapsed(Duration::from_millis(65_200)),
            "1 minute and 5.20 seconds"
        );
        assert_eq!(
            elapsed(Duration::from_secs(185)),
            "3 minutes and 5.00 seconds"
        );
        assert_eq!(latency(Duration::from_micros(420)), "0.42ms");
        assert_eq!(latency(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(latency(Duration::from_millis(250)), "250ms");
        assert_eq!(latency(Duration::from_secs(12)), "12.00s");
    }

    #[test]
    fn a_histogram_has_every_sample_and_a_bar_per_row() {
        let mut l = Latency::new();
        for us in [100, 100, 150, 200, 950, 1000] {
            l.record(Duration::from_micros(us));
        }
        let chart = histogram(&l, 9, 10);
        let counts: Vec<u64> = chart
            .lines()
            .map(|line| {
                line.split(['[', ']'])
                    .nth(1)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(counts.len(), 9);
        assert_eq!(counts.iter().sum::<u64>(), 6, "{chart}");
        assert_eq!(
            counts[0], 4,
            "100, 100, 150 and 200 are at most the first edge (0.2ms)\n{chart}"
        );
        assert!(
            chart.lines().next().unwrap().ends_with(&"■".repeat(10)),
            "{chart}"
        );
        // Far apart: powers of the ratio, so the fast samples are not all in one row.
        let mut wide = Latency::new();
        for us in [10, 20, 40, 80, 100_000] {
            wide.record(Duration::from_micros(us));
        }
        let chart = histogram(&wide, 10, 10);
        assert!(
            chart.lines().filter(|l| !l.contains("[0]")).count() >= 4,
            "{chart}"
        );
    }

    #[test]
    fn many_failures_are_explained_once() {
        let mut totals = EntryReport {
            failures: 10,
            errors: [("connect".to_owned(), 10)].into(),
            error_samples: [(
                "connect".to_owned(),
                "cannot connect (127.0.0.1:9)".to_owned(),
            )]
            .into(),
            ..EntryReport::default()
        };
        let line = failing(&totals, false).unwrap();
        assert!(
            line.starts_with("Every run failed: connect: cannot connect (127.0.0.1:9)\n"),
            "{line}"
        );
        assert!(line.contains("-f 1"), "{line}");
        assert!(!failing(&totals, true).unwrap().contains("-f 1"));
        totals.successes = 5;
        assert!(
            failing(&totals, true)
                .unwrap()
                .starts_with("66.7 % of the runs failed")
        );
        totals.successes = 11;
        assert_eq!(failing(&totals, true), None);
    }

    #[test]
    fn causes_and_details_are_listed() {
        let mut text = String::new();
        let failure =
            Failure::new("AssertionError", "boom").with_detail("File x, line 3\n  assert y");
        error_detail(&mut text, &failure);
        assert_eq!(text, "  File x, line 3\n    assert y\n");
    }
}
