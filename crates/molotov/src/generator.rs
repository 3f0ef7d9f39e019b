//! The load generator's own load in words: the summary's line when its thread was saturated
//! (its own delays then count in the latencies measured), and whether it was.

use std::fmt::Write as _;

use molotov_core::{GeneratorLoad, Summary};

/// Whether the generator's thread was saturated in any second of the run.
pub(crate) fn was_saturated(summary: &Summary) -> bool {
    summary
        .generator
        .as_ref()
        .is_some_and(|g| g.saturated_seconds > 0)
}

/// The summary's line on a saturated generator; `None` when it never was.
pub(crate) fn summary(summary: &Summary, processes: usize) -> Option<String> {
    let g = summary.generator.as_ref()?;
    if g.saturated_seconds == 0 {
        return None;
    }
    let unit = if processes > 1 {
        "process-seconds"
    } else {
        "s"
    };
    let mut out = format!(
        "Load generator: CPU-bound in {} of {:.0} {unit} (busiest second {}% of a core)",
        g.saturated_seconds,
        g.seconds.max(g.saturated_seconds as f64),
        percent(g.peak),
    );
    let waiting = share(g.waiting_seconds, g);
    if waiting >= 0.05 {
        let _ = write!(
            out,
            ", waiting for a core {}% of the time (other programs share its cores)",
            percent(waiting)
        );
    }
    out.push_str(
        ": its own delays count in the latencies; spread the load over more processes (-p) or \
         machines (--shard)\n",
    );
    Some(out)
}

fn share(seconds: f64, g: &GeneratorLoad) -> f64 {
    if g.seconds > 0.0 {
        seconds / g.seconds
    } else {
        0.0
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}", (share * 100.0).clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    fn load(saturated_seconds: u64, waiting_seconds: f64) -> GeneratorLoad {
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
        let s = run(Some(load(7, 0.1)));
        assert!(was_saturated(&s));
        assert_eq!(
            summary(&s, 1).unwrap(),
            "Load generator: CPU-bound in 7 of 10 s (busiest second 99% of a core): its own \
             delays count in the latencies; spread the load over more processes (-p) or \
             machines (--shard)\n"
        );
    }

    #[test]
    fn a_crowded_machine_is_told_apart_and_processes_count_in_process_seconds() {
        let s = run(Some(load(3, 1.5)));
        let text = summary(&s, 2).unwrap();
        assert!(text.contains("in 3 of 10 process-seconds"), "{text}");
        assert!(
            text.contains("waiting for a core 15% of the time (other programs share its cores)"),
            "{text}"
        );
    }

    #[test]
    fn an_unsaturated_or_unmeasured_generator_says_nothing() {
        for s in [run(Some(load(0, 0.0))), run(None)] {
            assert!(!was_saturated(&s));
            assert_eq!(summary(&s, 1), None);
        }
    }
}
