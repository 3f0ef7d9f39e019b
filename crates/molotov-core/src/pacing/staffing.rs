//! [`Staffing`]: the closed model's worker count when it follows stages (`--stages`).

use std::cell::RefCell;

use tokio::time::Instant;

use crate::schedule::Stages;

/// The closed model's worker count over time, following stages.
pub(crate) struct Staffing {
    stages: Stages,
    /// The count at the start (`-w`).
    from: f64,
    start: Instant,
    /// Which slots have a worker now (set when one starts, cleared when it ended).
    pub(crate) alive: RefCell<Vec<bool>>,
}

impl Staffing {
    pub(crate) fn new(stages: Stages, from: usize, start: Instant, slots: usize) -> Self {
        Staffing {
            stages,
            from: from as f64,
            start,
            // The first workers' slots are taken from the start, before their tasks run.
            alive: RefCell::new((0..slots).map(|slot| slot < from).collect()),
        }
    }

    /// How many workers should be running now; 0 once the stages are over.
    pub(crate) fn target(&self) -> usize {
        let t = self.start.elapsed();
        if t >= self.stages.duration() {
            return 0;
        }
        let count = self.stages.value_at(self.from, t.as_secs_f64()).round();
        // A worker count from the command line: a small, non-negative whole number.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let count = count.clamp(0.0, 1e9) as usize;
        count
    }

    /// Whether the stages are over.
    pub(crate) fn is_over(&self) -> bool {
        self.start.elapsed() >= self.stages.duration()
    }
}
