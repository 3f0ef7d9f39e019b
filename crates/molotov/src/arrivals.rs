//! The open model in words: what the schedule asked for and what the run made of it, for the
//! final summary and the live views.

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::{ArrivalSummary, Progress};

use crate::render::latency;

/// The summary's lines on the open model: target and achieved rates, the runs scheduled,
/// started, late and dropped, the largest lag; and, when runs could not start on time, what
/// to do about it.
pub(crate) fn summary(a: &ArrivalSummary, elapsed: Duration, max_workers: Option<usize>) -> String {
    let mut out = String::new();
    let seconds = elapsed.as_secs_f64();
    let achieved = if seconds > 0.0 {
        a.started as f64 / seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "Arrivals: {} runs/s scheduled, {} runs/s started | scheduled {}, started {}, late {}, \
         dropped {} | largest start lag {}",
        rate(a.target_rate),
        rate(achieved),
        a.scheduled,
        a.started,
        a.late,
        a.dropped,
        latency(a.max_lag),
    );
    out.push_str(
        "Latencies count from when each run was due (corrected for coordinated omission); \
         --json has the service times too\n",
    );
    if a.late > 0 || a.dropped > 0 {
        let most = max_workers.map_or_else(String::new, |m| format!(" (now {m} per process)"));
        let _ = writeln!(
            out,
            "Every worker was busy when {} runs fell due: the load generator could not keep the \
             schedule; raise --max-workers{most}, or lower the rate",
            a.late + a.dropped,
        );
    }
    out
}

/// The live figures of an open-model run, for the console and the dashboard: `None` in the
/// closed model.
pub(crate) fn live(progress: &Progress) -> Option<String> {
    let target = progress.target_rate();
    let (late, dropped) = (progress.late_runs(), progress.dropped_runs());
    if target == 0.0 && late == 0 && dropped == 0 {
        return None;
    }
    let mut text = format!("RATE: {}/s", rate(target));
    if late > 0 {
        let _ = write!(text, " | LATE: {late}");
    }
    if dropped > 0 {
        let _ = write!(text, " | DROPPED: {dropped}");
    }
    Some(text)
}

/// `200`, `12.5`, `0.25`.
fn rate(r: f64) -> String {
    if r >= 100.0 || r.fract() == 0.0 {
        format!("{r:.0}")
    } else if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_kept_its_schedule_says_so_in_one_line_and_a_note() {
        let a = ArrivalSummary {
            scheduled: 1000,
            started: 1000,
            late: 0,
            dropped: 0,
            max_lag: Duration::from_micros(420),
            target_rate: 200.0,
        };
        let text = summary(&a, Duration::from_secs(5), Some(1000));
        assert!(text.starts_with(
            "Arrivals: 200 runs/s scheduled, 200 runs/s started | scheduled 1000, started 1000, \
             late 0, dropped 0 | largest start lag 0.42ms\n"
        ));
        assert!(!text.contains("--max-workers"));
    }

    #[test]
    fn late_and_dropped_runs_come_with_what_to_do() {
        let a = ArrivalSummary {
            scheduled: 200,
            started: 80,
            late: 78,
            dropped: 120,
            max_lag: Duration::from_millis(1200),
            target_rate: 100.0,
        };
        let text = summary(&a, Duration::from_secs(2), Some(2));
        assert!(text.contains("40 runs/s started"), "{text}");
        assert!(text.contains("when 198 runs fell due"), "{text}");
        assert!(
            text.contains("raise --max-workers (now 2 per process)"),
            "{text}"
        );
    }

    #[test]
    fn rates_read_naturally() {
        assert_eq!(rate(200.0), "200");
        assert_eq!(rate(199.6), "200");
        assert_eq!(rate(12.5), "12.5");
        assert_eq!(rate(0.25), "0.25");
    }
}
