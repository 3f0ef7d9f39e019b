//! The load generator's own load in words: the summary's line when its thread was saturated
//! (its own delays then count in the latencies measured), what held it back, and the live
//! views' mark while it is saturated.

use std::fmt::Write as _;

use molotov_core::{GeneratorLoad, Progress, SATURATED, Summary};

/// A generator whose thread waited for a core this share of the time shares its cores with
/// other programs (or with too many of its own processes).
const CROWDED: f64 = 0.25;

/// What held the generator back over most of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bottleneck {
    /// Nothing: saturated less than half of the time, or not measured.
    None,
    /// Its own work: it needs more cores.
    Cpu,
    /// Its thread waited for a core other programs had.
    SharedCores,
}

/// What held the generator back, if it was saturated at least half of the time.
pub(crate) fn bottleneck(summary: &Summary) -> Bottleneck {
    match &summary.generator {
        Some(g) if g.share(g.saturated_seconds) >= 0.5 => {
            if g.share(g.waiting_seconds) >= CROWDED {
                Bottleneck::SharedCores
            } else {
                Bottleneck::Cpu
            }
        }
        _ => Bottleneck::None,
    }
}

/// The summary's line on a saturated generator; `None` when it never was.
pub(crate) fn summary(summary: &Summary, processes: usize) -> Option<String> {
    line(summary.generator.as_ref()?, processes)
}

/// The words on a generator that was saturated (the summary's line, the report's); `None`
/// when it never was.
pub(crate) fn line(g: &GeneratorLoad, processes: usize) -> Option<String> {
    if g.saturated_seconds <= 0.0 {
        return None;
    }
    let unit = if processes > 1 {
        "process-seconds"
    } else {
        "s"
    };
    let mut out = format!(
        "Load generator: CPU-bound in {:.0} of {:.0} {unit} (busiest second {}% busy)",
        g.saturated_seconds,
        g.seconds.max(g.saturated_seconds),
        percent(g.peak),
    );
    let waiting = g.share(g.waiting_seconds);
    if waiting >= 0.05 {
        let _ = write!(
            out,
            ", waiting for a core {}% of the time",
            percent(waiting)
        );
    }
    out.push_str(": its own delays count in the latencies; ");
    out.push_str(if waiting >= CROWDED {
        "its cores are shared: run fewer programs or processes beside it, or spread the load \
         over machines (--shard)\n"
    } else {
        "spread the load over more processes (-p) or machines (--shard)\n"
    });
    Some(out)
}

/// The console footer's and the dashboard's mark while the generator's thread is saturated
/// (the busiest process's last second, with `-p`); `None` otherwise.
pub(crate) fn live(progress: &Progress) -> Option<String> {
    let busy = progress.generator_busy().filter(|&b| b >= SATURATED)?;
    Some(format!("GENERATOR: {}% busy", percent(busy)))
}

/// A share (0 to 1) as a whole percentage.
fn percent(share: f64) -> String {
    format!("{:.0}", (share * 100.0).clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use molotov_core::GeneratorLoad;

    use super::*;

    fn run(generator: Option<GeneratorLoad>) -> Summary {
        Summary {
            report: molotov_core::stats::Report::default(),
            elapsed: Duration::from_secs(10),
            stop: None,
            max_workers: 1,
            cancelled: 0,
            fixture_failures: Vec::new(),
            dropped_notices: 0,
            seed: 0,
            crashed_processes: 0,
            arrivals: None,
            started_at: None,
            generator,
        }
    }

    fn load(saturated_seconds: f64, waiting_seconds: f64) -> GeneratorLoad {
        GeneratorLoad {
            seconds: 10.0,
            running_seconds: 8.0,
            waiting_seconds,
            saturated_seconds,
            peak: 0.993,
        }
    }

    #[test]
    fn a_saturated_generator_says_so_and_what_to_do() {
        let s = run(Some(load(7.0, 0.1)));
        assert_eq!(bottleneck(&s), Bottleneck::Cpu);
        assert_eq!(
            summary(&s, 1).unwrap(),
            "Load generator: CPU-bound in 7 of 10 s (busiest second 99% busy): its own delays \
             count in the latencies; spread the load over more processes (-p) or machines \
             (--shard)\n"
        );
    }

    #[test]
    fn a_crowded_machine_is_told_apart_and_processes_count_in_process_seconds() {
        let s = run(Some(load(6.0, 3.0)));
        assert_eq!(bottleneck(&s), Bottleneck::SharedCores);
        let text = summary(&s, 2).unwrap();
        assert!(text.contains("in 6 of 10 process-seconds"), "{text}");
        assert!(
            text.contains("waiting for a core 30% of the time"),
            "{text}"
        );
        assert!(text.contains("its cores are shared"), "{text}");
        assert!(
            !text.contains("(-p)"),
            "more processes would not help: {text}"
        );
    }

    #[test]
    fn a_generator_saturated_now_and_then_is_told_but_not_blamed() {
        let s = run(Some(load(2.0, 0.0)));
        assert_eq!(bottleneck(&s), Bottleneck::None);
        assert!(summary(&s, 1).unwrap().contains("CPU-bound in 2 of 10 s"));
    }

    #[test]
    fn the_live_views_mark_a_saturated_second_only() {
        let progress = Progress::default();
        assert_eq!(live(&progress), None, "not measured yet");
        progress.set_generator_busy(Some(0.5));
        assert_eq!(live(&progress), None);
        progress.set_generator_busy(Some(0.974));
        assert_eq!(live(&progress).as_deref(), Some("GENERATOR: 97% busy"));
        progress.set_generator_busy(None);
        assert_eq!(live(&progress), None, "no reading: no mark");
    }

    #[test]
    fn an_unsaturated_or_unmeasured_generator_says_nothing() {
        for s in [run(Some(load(0.0, 0.0))), run(None)] {
            assert_eq!(bottleneck(&s), Bottleneck::None);
            assert_eq!(summary(&s, 1), None);
        }
    }
}
