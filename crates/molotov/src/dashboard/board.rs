//! [`Board`]: what the dashboard shows, as plain data updated each refresh. Drawing it is a
//! pure function of it (see `draw`), so it is tested without a terminal.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use molotov_core::stats::Report;

use crate::lines::Line;
use crate::percentiles::Percentiles;

/// Lines kept per pane (the panes show the last ones that fit).
const KEPT_LINES: usize = 500;
/// Seconds of request rate history kept for the chart.
const KEPT_SECONDS: usize = 300;

/// The state of the dashboard.
#[derive(Debug, Default, Clone)]
pub(crate) struct Board {
    /// Worker activity (`[W:0] Starting`...), oldest first.
    pub(crate) activity: VecDeque<String>,
    /// Failures and errors, oldest first.
    pub(crate) errors: VecDeque<String>,
    /// Scenario runs per second, one entry per second, oldest first.
    pub(crate) rates: VecDeque<u64>,
    pub(crate) successes: u64,
    pub(crate) failures: u64,
    pub(crate) workers: usize,
    /// The open model's live figures (`RATE: 200/s | LATE: 3`), if it is one.
    pub(crate) arrivals: Option<String>,
    /// The generator's thread saturated over the last second (`GENERATOR: 97% busy`).
    pub(crate) generator: Option<String>,
    pub(crate) processes: usize,
    pub(crate) elapsed: Duration,
    /// The latest statistics snapshot, and how long the run had lasted then.
    pub(crate) report: Option<(Arc<Report>, Duration)>,
    /// A stop was asked for; the run is winding down.
    pub(crate) stopping: bool,
    /// The latency columns of the scenario table.
    pub(crate) percentiles: Percentiles,
    /// "every run is failing: ..." while it is so.
    pub(crate) failing: Option<String>,
    /// The thresholds' latest verdicts in one line, and whether they all pass.
    pub(crate) thresholds: Option<(String, bool)>,
    /// Runs counted at the last rate sample.
    last_total: u64,
    /// Activity lines dropped from the front so far, so positions can be absolute.
    dropped: usize,
    /// The trailing block of `Ran N scenarios` lines: worker (with its process prefix) →
    /// absolute position. A worker's new count replaces its line in that block instead of
    /// scrolling what the script printed out of view.
    progress: HashMap<String, usize>,
}

impl Board {
    /// An empty board for a run over `processes` processes, showing `percentiles`.
    pub(crate) fn new(processes: usize, percentiles: Percentiles) -> Self {
        Board {
            processes,
            percentiles,
            ..Board::default()
        }
    }

    /// Adds console lines to their panes.
    pub(crate) fn push_lines(&mut self, lines: Vec<Line>) {
        for line in lines {
            for physical in line.text.split('\n') {
                let text = printable(physical);
                if line.error {
                    push_capped(&mut self.errors, text);
                } else {
                    self.push_activity(text);
                }
            }
        }
    }

    fn push_activity(&mut self, text: String) {
        let Some(worker) = progress_key(&text) else {
            self.progress.clear();
            self.dropped += usize::from(push_capped(&mut self.activity, text));
            return;
        };
        if let Some(&at) = self.progress.get(worker) {
            if let Some(slot) = at
                .checked_sub(self.dropped)
                .and_then(|i| self.activity.get_mut(i))
            {
                *slot = text;
                return;
            }
        }
        let worker = worker.to_owned();
        let at = self.dropped + self.activity.len();
        self.dropped += usize::from(push_capped(&mut self.activity, text));
        self.progress.insert(worker, at);
    }

    /// Takes the counters; each call closes one second of the rate history.
    pub(crate) fn sample_second(&mut self, successes: u64, failures: u64) {
        let total = successes + failures;
        self.rates.push_back(total.saturating_sub(self.last_total));
        self.last_total = total;
        if self.rates.len() > KEPT_SECONDS {
            self.rates.pop_front();
        }
    }

    /// The latest rate, runs per second.
    pub(crate) fn current_rate(&self) -> u64 {
        self.rates.back().copied().unwrap_or(0)
    }
}

/// Appends `text`, dropping the oldest line past [`KEPT_LINES`]; true when one was dropped.
fn push_capped(pane: &mut VecDeque<String>, text: String) -> bool {
    pane.push_back(text);
    pane.len() > KEPT_LINES && pane.pop_front().is_some()
}

/// The worker part (`[P:12] [W:3]`) of a `[P:12] [W:3] Ran 120 scenarios` line.
fn progress_key(text: &str) -> Option<&str> {
    let (worker, rest) = text.split_once("] Ran ")?;
    let runs = rest.strip_suffix(" scenarios")?;
    (worker.starts_with('[') && !runs.is_empty() && runs.bytes().all(|b| b.is_ascii_digit()))
        .then_some(worker)
}

/// `text` with control characters replaced, so nothing a server or a script puts in an error
/// message can move the cursor or change the terminal's state.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, error: bool) -> Line {
        Line {
            text: text.to_owned(),
            error,
            printed: false,
        }
    }

    #[test]
    fn lines_go_to_their_pane_and_old_ones_go() {
        let mut board = Board::default();
        board.push_lines(vec![
            line("[W:0] Starting", false),
            line("boom\n  caused by: x", true),
        ]);
        assert_eq!(board.activity, ["[W:0] Starting"]);
        assert_eq!(board.errors, ["boom", "  caused by: x"]);
        board.push_lines(
            (0..KEPT_LINES + 5)
                .map(|i| line(&i.to_string(), false))
                .collect(),
        );
        assert_eq!(board.activity.len(), KEPT_LINES);
        assert_eq!(board.activity.back().map(String::as_str), Some("504"));
    }

    #[test]
    fn a_workers_new_count_replaces_its_line_below_what_the_script_printed() {
        let mut board = Board::default();
        let ran =
            |p: u32, w: u32, n: u32| line(&format!("[P:{p}] [W:{w}] Ran {n} scenarios"), false);
        board.push_lines(vec![line("hello", false), ran(1, 0, 10), ran(2, 1, 10)]);
        board.push_lines(vec![ran(2, 1, 20), ran(1, 0, 30), ran(1, 1, 5)]);
        assert_eq!(
            board.activity,
            [
                "hello",
                "[P:1] [W:0] Ran 30 scenarios",
                "[P:2] [W:1] Ran 20 scenarios",
                "[P:1] [W:1] Ran 5 scenarios"
            ]
        );
        // Another line closes the block: later counts go below it.
        board.push_lines(vec![line("[W:0] Done!", false), ran(1, 0, 40)]);
        assert_eq!(board.activity.len(), 6);
        assert_eq!(board.activity[5], "[P:1] [W:0] Ran 40 scenarios");
        assert_eq!(progress_key("[W:3] Ran 12 scenarios"), Some("[W:3"));
        assert_eq!(progress_key("I Ran 12 scenarios"), None);
        assert_eq!(progress_key("[W:3] Ran many scenarios"), None);
    }

    #[test]
    fn the_progress_block_survives_old_lines_going() {
        let mut board = Board::default();
        let ran = |n: usize| line(&format!("[W:0] Ran {n} scenarios"), false);
        board.push_lines(
            (0..KEPT_LINES)
                .map(|i| line(&i.to_string(), false))
                .collect(),
        );
        board.push_lines(vec![ran(1)]);
        board.push_lines(vec![ran(2)]);
        assert_eq!(board.activity.len(), KEPT_LINES);
        assert_eq!(
            board.activity.back().map(String::as_str),
            Some("[W:0] Ran 2 scenarios")
        );
        assert_eq!(board.activity.front().map(String::as_str), Some("1"));
    }

    #[test]
    fn rates_are_per_second_differences() {
        let mut board = Board::default();
        board.sample_second(10, 0);
        board.sample_second(25, 5);
        assert_eq!(board.rates, [10, 20]);
        assert_eq!(board.current_rate(), 20);
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[2Jb\tc"), "a\u{fffd}[2Jb c");
        assert_eq!(printable("<status> & co"), "<status> & co");
    }
}
