//! Text for people: the final summary (Molotov's `SUCCESSES: n | FAILURES: n` block plus
//! per-scenario and per-request tables), durations, and errors with their causes.

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::stats::EntryReport;
use molotov_core::{Failure, StopCause, Summary};

use crate::sizing::SizingOutcome;

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
        Some(StopCause::Sizing) | None => "the workers ran out of work",
    };
    format!(
        "Sizing was not finished ({why}): the failure ratio stayed within {:.2} % ({} failures \
         in the last {} runs).\n",
        outcome.tolerance, outcome.window_failures, outcome.window_runs
    )
}

/// The final summary.
pub(crate) fn summary(summary: &Summary, processes: usize) -> String {
    let mut out = String::new();
    let elapsed = summary.elapsed;
    if let Some(stop) = summary.stop {
        let why = match stop {
            StopCause::Deadline => "the duration (-d) was reached",
            StopCause::Interrupted => "interrupted",
            StopCause::FailFast => "stopped at the first failure (-x)",
            StopCause::FixtureFailed => "a fixture failed",
            StopCause::Sizing => "the sizing tolerance was reached",
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
        self::elapsed(elapsed),
        summary.max_workers,
        if summary.max_workers == 1 { "" } else { "s" },
        if processes == 1 { "" } else { "es" },
    );
    if !summary.report.scenarios.is_empty() {
        out.push('\n');
        table(
            &mut out,
            "Scenario",
            summary.report.scenarios.iter(),
            elapsed,
        );
    }
    if !summary.report.requests.is_empty() {
        out.push('\n');
        table(&mut out, "Request", summary.report.requests.iter(), elapsed);
    }
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
    let _ = writeln!(
        out,
        "\nSUCCESSES: {} | FAILURES: {}",
        summary.successes(),
        summary.failures()
    );
    out.push_str("*** Bye ***\n");
    out
}

fn table<'a>(
    out: &mut String,
    title: &str,
    rows: impl Iterator<Item = (&'a String, &'a EntryReport)>,
    elapsed: Duration,
) {
    let rows: Vec<_> = rows.collect();
    let width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{title:<width$}  {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}  outcomes",
        "count", "ok", "failed", "rate/s", "p50", "p90", "p99", "max"
    );
    for (name, entry) in rows {
        let l = &entry.latency;
        let _ = writeln!(
            out,
            "{name:<width$}  {:>9} {:>9} {:>9} {:>9.1} {:>8} {:>8} {:>8} {:>8}  {}",
            entry.total(),
            entry.successes,
            entry.failures,
            entry.rate(elapsed),
            latency(l.percentile(50.0)),
            latency(l.percentile(90.0)),
            latency(l.percentile(99.0)),
            latency(l.max()),
            outcomes(entry),
        );
    }
}

/// `200: 1200, 500: 3, connect: 2`.
fn outcomes(entry: &EntryReport) -> String {
    let statuses = entry.statuses.iter().map(|(s, n)| format!("{s}: {n}"));
    let errors = entry.errors.iter().map(|(k, n)| format!("{k}: {n}"));
    statuses.chain(errors).collect::<Vec<_>>().join(", ")
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
    fn causes_and_details_are_listed() {
        let mut text = String::new();
        let failure =
            Failure::new("AssertionError", "boom").with_detail("File x, line 3\n  assert y");
        error_detail(&mut text, &failure);
        assert_eq!(text, "  File x, line 3\n    assert y\n");
    }
}
