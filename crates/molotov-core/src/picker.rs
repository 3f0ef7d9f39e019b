//! Which scenario runs next: the validated scenario [`Catalog`] and the [`Picker`] strategies
//! the one worker loop is given (weighted, custom picker, `-s`, `--single-run`).

use std::collections::HashMap;
use std::rc::Rc;

use crate::config::Mode;
use crate::error::Error;
use crate::plan::PickerFn;
use crate::scenario::Scenario;

/// The name under which runs the custom picker could not map to a scenario are counted.
pub(crate) const UNKNOWN_PICK: &str = "(unknown scenario)";

/// The scenarios of a run, sorted by name (Molotov's order), with their cumulative weights.
pub(crate) struct Catalog {
    pub(crate) scenarios: Vec<Scenario>,
    /// `cumulative[i]` = sum of the weights of scenarios `0..=i`.
    cumulative: Vec<u64>,
    by_name: HashMap<Rc<str>, usize>,
}

impl Catalog {
    /// Validates the plan's scenarios: weight-0 ones are left out (returned as warnings),
    /// duplicates and an empty set are errors.
    pub(crate) fn new(mut scenarios: Vec<Scenario>) -> Result<(Catalog, Vec<String>), Error> {
        let mut warnings = Vec::new();
        scenarios.retain(|s| {
            if s.get_weight() == 0 {
                warnings.push(format!(
                    "scenario {:?} has a weight of 0 and is ignored",
                    s.name()
                ));
            }
            s.get_weight() > 0
        });
        if scenarios.is_empty() {
            return Err(Error::NoScenario);
        }
        scenarios.sort_by(|a, b| a.name().cmp(b.name()));
        if let Some(pair) = scenarios.windows(2).find(|p| p[0].name() == p[1].name()) {
            return Err(Error::DuplicateScenario {
                name: pair[0].name().to_owned(),
            });
        }
        let mut total = 0u64;
        let cumulative = scenarios
            .iter()
            .map(|s| {
                total += u64::from(s.get_weight());
                total
            })
            .collect();
        let by_name = scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| (Rc::from(s.name()), i))
            .collect();
        Ok((
            Catalog {
                scenarios,
                cumulative,
                by_name,
            },
            warnings,
        ))
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn names(&self) -> String {
        let names: Vec<&str> = self.scenarios.iter().map(Scenario::name).collect();
        names.join(", ")
    }

    /// The strategy for one worker.
    pub(crate) fn picker(
        &self,
        mode: &Mode,
        custom: Option<&PickerFn>,
        seed: u64,
    ) -> Result<Picker, Error> {
        Ok(match mode {
            Mode::Single(name) => {
                Picker::Single(self.index_of(name).ok_or_else(|| Error::UnknownScenario {
                    name: name.clone(),
                    known: self.names(),
                })?)
            }
            Mode::SingleRun => Picker::Sequence { next: 0 },
            Mode::Weighted => match custom {
                Some(f) => Picker::Custom(f.clone()),
                None => Picker::Weighted {
                    rng: fastrand::Rng::with_seed(seed),
                },
            },
        })
    }
}

/// How one worker picks its scenarios.
pub(crate) enum Picker {
    /// By weight, from the worker's own seeded generator.
    Weighted { rng: fastrand::Rng },
    /// The plan's picker, by name.
    Custom(PickerFn),
    /// Always this one.
    Single(usize),
    /// Each scenario once, in order.
    Sequence { next: usize },
}

/// What to run next.
pub(crate) enum Pick {
    /// The scenario at this index.
    Run(usize),
    /// The custom picker named no scenario.
    Unknown(String),
    /// Nothing left (`--single-run` ran them all).
    Done,
}

impl Picker {
    pub(crate) fn next(&mut self, catalog: &Catalog, worker: usize, step: u64) -> Pick {
        match self {
            Picker::Weighted { rng } => {
                let total = *catalog.cumulative.last().unwrap_or(&1);
                let r = rng.u64(0..total);
                // Few scenarios per test: a linear scan beats a binary search here.
                let index = catalog.cumulative.iter().position(|&c| r < c).unwrap_or(0);
                Pick::Run(index)
            }
            Picker::Custom(f) => {
                let name = f(worker, step);
                match catalog.index_of(&name) {
                    Some(index) => Pick::Run(index),
                    None => Pick::Unknown(name),
                }
            }
            Picker::Single(index) => Pick::Run(*index),
            Picker::Sequence { next } => {
                if *next < catalog.scenarios.len() {
                    *next += 1;
                    Pick::Run(*next - 1)
                } else {
                    Pick::Done
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScenarioResult;
    use crate::session::Session;

    async fn noop(_: Session) -> ScenarioResult {
        Ok(())
    }

    fn catalog(weights: &[(&str, u32)]) -> Catalog {
        let scenarios = weights
            .iter()
            .map(|(n, w)| Scenario::new(*n, noop).weight(*w))
            .collect();
        Catalog::new(scenarios).unwrap().0
    }

    #[test]
    fn weights_decide_how_often_each_scenario_runs() {
        let c = catalog(&[("b", 60), ("a", 30), ("c", 10)]);
        let mut picker = c.picker(&Mode::Weighted, None, 7).unwrap();
        let mut counts = [0u32; 3];
        for step in 1..=20_000 {
            let Pick::Run(i) = picker.next(&c, 0, step) else {
                panic!("weighted picking always runs something")
            };
            counts[i] += 1;
        }
        // Sorted by name: a=30, b=60, c=10.
        let share = |n: u32| f64::from(n) / 20_000.0;
        assert!((share(counts[0]) - 0.3).abs() < 0.02, "{counts:?}");
        assert!((share(counts[1]) - 0.6).abs() < 0.02, "{counts:?}");
        assert!((share(counts[2]) - 0.1).abs() < 0.02, "{counts:?}");
    }

    #[test]
    fn weight_zero_is_left_out_with_a_warning_and_duplicates_are_refused() {
        let (c, warnings) = Catalog::new(vec![
            Scenario::new("a", noop),
            Scenario::new("z", noop).weight(0),
        ])
        .unwrap();
        assert_eq!(c.names(), "a");
        assert_eq!(warnings.len(), 1);
        let dup = Catalog::new(vec![Scenario::new("a", noop), Scenario::new("a", noop)]);
        assert!(matches!(dup, Err(Error::DuplicateScenario { name }) if name == "a"));
        let none = Catalog::new(vec![Scenario::new("a", noop).weight(0)]);
        assert!(matches!(none, Err(Error::NoScenario)));
    }

    #[test]
    fn single_run_goes_through_every_scenario_once_in_name_order() {
        let c = catalog(&[("b", 1), ("a", 1)]);
        let mut picker = c.picker(&Mode::SingleRun, None, 0).unwrap();
        assert!(matches!(picker.next(&c, 0, 1), Pick::Run(0)));
        assert!(matches!(picker.next(&c, 0, 2), Pick::Run(1)));
        assert!(matches!(picker.next(&c, 0, 3), Pick::Done));
    }

    #[test]
    fn single_mode_needs_a_known_name() {
        let c = catalog(&[("a", 1)]);
        let mode = Mode::Single("nope".into());
        assert!(matches!(
            c.picker(&mode, None, 0),
            Err(Error::UnknownScenario { .. })
        ));
    }

    #[test]
    fn a_custom_picker_gets_the_worker_and_step() {
        let c = catalog(&[("a", 1), ("b", 1)]);
        let f: PickerFn = Rc::new(|worker, step| {
            if (worker as u64 + step).is_multiple_of(2) {
                "a".into()
            } else {
                "b".into()
            }
        });
        let mut picker = c.picker(&Mode::Weighted, Some(&f), 0).unwrap();
        assert!(matches!(picker.next(&c, 1, 1), Pick::Run(0)));
        assert!(matches!(picker.next(&c, 1, 2), Pick::Run(1)));
        let bad: PickerFn = Rc::new(|_, _| "zzz".into());
        let mut picker = c.picker(&Mode::Weighted, Some(&bad), 0).unwrap();
        assert!(matches!(picker.next(&c, 0, 1), Pick::Unknown(name) if name == "zzz"));
    }
}
