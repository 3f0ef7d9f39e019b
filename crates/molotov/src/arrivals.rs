//! The open model in words: what the schedule asked for and what the run made of it, for the
//! final summary and the live views.

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::{Progress, Summary};

use crate::generator::Bottleneck;
use crate::render::latency;

/// The summary's lines on the open model: target and achieved rates, the runs scheduled,
/// started, late and dropped, the largest lag, the workers needed; and, when runs could not
/// start on time, what to do about it.
pub(crate) fn summary(
    summary: &Summary,
    max_workers: Option<usize>,
    processes: usize,
) -> Option<String> {
    let a = summary.arrivals.as_ref()?;
    let mut out = String::new();
    // Over the schedule's time, as its rate is (not the run's, which has the workers' setup
    // before the schedule starts and the last runs' ends after it).
    let achieved = if a.scheduled > 0 {
        a.target_rate * a.started as f64 / a.scheduled as f64
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "Arrivals: {} runs/s scheduled, {} runs/s started | scheduled {}, started {}, late {}, \
         dropped {} | start lag p99 {}, max {} | workers needed {}",
        rate(a.target_rate),
        rate(achieved),
        a.scheduled,
        a.started,
        a.late,
        a.dropped,
        latency(a.lag.percentile(99.0)),
        latency(a.max_lag()),
        summary.max_workers,
    );
    out.push_str(
        "Latencies count from when each run was due (corrected for coordinated omission); \
         --json has the service times too\n",
    );
    if a.late > 0 || a.dropped > 0 {
        // A generator short of CPU is not helped by more workers.
        let remedy = match crate::generator::bottleneck(summary) {
            Bottleneck::Cpu => "it was CPU-bound: add processes (-p), or lower the rate".to_owned(),
            Bottleneck::SharedCores => "its cores were shared with other programs: run fewer \
                beside it, spread the load over machines (--shard), or lower the rate"
                .to_owned(),
            // The workers allowed were not all started: the runs waited for the generator's
            // own pauses, which it caught up after (more workers do not help then).
            Bottleneck::None
                if max_workers.is_some_and(|m| summary.max_workers < m * processes.max(1)) =>
            {
                format!(
                    "not every worker allowed was started ({}): the runs waited for the \
                     generator, which fell behind now and then, not for workers; give it room \
                     (-p, --shard), or lower the rate",
                    summary.max_workers
                )
            }
            Bottleneck::None => {
                let most =
                    max_workers.map_or_else(String::new, |m| format!(" (now {m} per process)"));
                format!("raise --max-workers{most}, or lower the rate")
            }
        };
        let _ = writeln!(
            out,
            "Every worker was busy when {} runs fell due: the load generator could not keep the \
             schedule; {remedy}",
            a.late + a.dropped,
        );
    }
    Some(out)
}

/// The live figures of an open-model run, for the console and the dashboard: `None` in the
/// closed model. `achieved`: the runs of the last second.
pub(crate) fn live(progress: &Progress, achieved: f64) -> Option<String> {
    let target = progress.target_rate();
    let (late, dropped) = (progress.late_runs(), progress.dropped_runs());
    if target == 0.0 && late == 0 && dropped == 0 {
        return None;
    }
    let mut text = format!("RATE: {}/s of {}/s", rate(achieved), rate(target));
    if late > 0 {
        let _ = write!(text, " | LATE: {late}");
    }
    if dropped > 0 {
        let _ = write!(text, " | DROPPED: {dropped}");
    }
    Some(text)
}

/// Runs per second over the last second or so, from the counts of finished runs: the
/// achieved rate the console and the exporters show next to the target rate.
#[derive(Debug, Default)]
pub(crate) struct RateMeter {
    /// The last measure: when (from the start, with no run finished), and the runs by then.
    last: (Duration, u64),
    rate: f64,
}

/// How long a measure spans at least: a second, less what the callers' ticks may fall short
/// of it (snapshots a second apart are measured each).
const MEASURE: Duration = Duration::from_millis(900);

impl RateMeter {
    /// The rate, measured again when about a second passed since the last measure; `at`: the
    /// time since the run (or the process) started, `runs`: the runs finished by then.
    pub(crate) fn update(&mut self, at: Duration, runs: u64) -> f64 {
        let (then, before) = self.last;
        let span = at.saturating_sub(then);
        if span >= MEASURE {
            self.rate = runs.saturating_sub(before) as f64 / span.as_secs_f64();
            self.last = (at, runs);
        }
        self.rate
    }
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
    use std::time::Duration;

    use molotov_core::ArrivalSummary;

    use super::*;

    fn lags(us: &[u64]) -> molotov_core::stats::Latency {
        let mut l = molotov_core::stats::Latency::default();
        for &u in us {
            l.record(Duration::from_micros(u));
        }
        l
    }

    fn run(a: ArrivalSummary, elapsed: u64, workers: usize) -> Summary {
        Summary {
            report: molotov_core::stats::Report::default(),
            elapsed: Duration::from_secs(elapsed),
            stop: None,
            max_workers: workers,
            cancelled: 0,
            fixture_failures: Vec::new(),
            dropped_notices: 0,
            seed: 0,
            crashed_processes: 0,
            arrivals: Some(a),
            started_at: None,
            generator: None,
        }
    }

    #[test]
    fn a_run_that_kept_its_schedule_says_so_in_one_line_and_a_note() {
        let a = ArrivalSummary {
            scheduled: 1000,
            started: 1000,
            late: 0,
            dropped: 0,
            lag: lags(&[100, 420]),
            target_rate: 200.0,
        };
        // The run lasted longer than the schedule (its workers' setup before it): the rate
        // achieved is over the schedule's time, as the target is.
        let text = summary(&run(a.clone(), 6, 3), Some(10), 1).unwrap();
        assert!(text.starts_with(
            "Arrivals: 200 runs/s scheduled, 200 runs/s started | scheduled 1000, started 1000, \
             late 0, dropped 0 | start lag p99 0.42ms, max 0.42ms | workers needed 3\n"
        ));
        assert!(!text.contains("--max-workers"));
        let mut closed = run(a, 5, 3);
        closed.arrivals = None;
        assert!(summary(&closed, None, 1).is_none());
    }

    #[test]
    fn late_and_dropped_runs_come_with_what_to_do() {
        let a = ArrivalSummary {
            scheduled: 200,
            started: 80,
            late: 78,
            dropped: 120,
            lag: lags(&[1_200_000]),
            target_rate: 100.0,
        };
        let text = summary(&run(a.clone(), 2, 2), Some(2), 1).unwrap();
        assert!(text.contains("40 runs/s started"), "{text}");
        assert!(text.contains("when 198 runs fell due"), "{text}");
        assert!(
            text.contains("raise --max-workers (now 2 per process)"),
            "{text}"
        );
        // Fewer workers than allowed were started: more would not have helped.
        let text = summary(&run(a.clone(), 2, 3), Some(2), 2).unwrap();
        assert!(
            text.contains("not every worker allowed was started (3): the runs waited for the"),
            "{text}"
        );
        assert!(!text.contains("--max-workers"), "{text}");
        // A generator that was CPU-bound is told to add processes, not workers.
        let mut cpu_bound = run(a, 2, 2);
        cpu_bound.generator = Some(molotov_core::GeneratorLoad {
            seconds: 2.0,
            running_seconds: 1.98,
            waiting_seconds: 0.0,
            saturated_seconds: 2.0,
            peak: 0.99,
        });
        let text = summary(&cpu_bound, Some(2), 1).unwrap();
        assert!(
            text.contains("could not keep the schedule; it was CPU-bound: add processes (-p)"),
            "{text}"
        );
        assert!(!text.contains("--max-workers"), "{text}");
    }

    #[test]
    fn the_meter_measures_once_a_second() {
        let mut meter = RateMeter::default();
        let early = meter.update(Duration::from_millis(500), 100);
        assert!(early.abs() < f64::EPSILON, "not a second yet");
        // The first second is measured from the start.
        let rate = meter.update(Duration::from_secs(1), 250);
        assert!((rate - 250.0).abs() < 1e-9, "{rate}");
        let rate = meter.update(Duration::from_secs(3), 650);
        assert!((rate - 200.0).abs() < 1e-9, "{rate}");
        // Kept until about a second passed; a tick a little short of it measures.
        let kept = meter.update(Duration::from_millis(3500), 1000);
        assert!((kept - 200.0).abs() < 1e-9, "{kept}");
        let rate = meter.update(Duration::from_millis(3950), 1125);
        assert!((rate - 500.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn rates_read_naturally() {
        assert_eq!(rate(200.0), "200");
        assert_eq!(rate(199.6), "200");
        assert_eq!(rate(12.5), "12.5");
        assert_eq!(rate(0.25), "0.25");
    }
}
