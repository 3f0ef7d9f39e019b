//! Notices → lines of text: Molotov's line formats (`[W:0] Starting`, `[W:0] Failure!`...),
//! each marked as activity or as a problem, so the simple console prints them in order and
//! views with two panes (or a parent process) can route them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use molotov_core::{Notice, NoticeReceiver, failure_kind};

use crate::render;

/// At most this many failure lines per batch; the rest are summed up in one line.
const FAILURES_PER_BATCH: usize = 20;

/// One line (possibly several physical lines, for an error with its causes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) text: String,
    /// A failure, an error, a warning: what Molotov's UI puts in its error pane.
    pub(crate) error: bool,
}

/// Turns notices into lines.
#[derive(Debug, Clone)]
pub(crate) struct Formatter {
    pub(crate) verbose: u8,
    /// Put before every line (`[P:1234] ` for the lines of a worker process).
    pub(crate) prefix: String,
}

impl Formatter {
    /// Every notice waiting in `notices`, as lines. `Ran N scenarios` lines are collapsed to
    /// one per worker per batch; failure lines are capped at a few per batch.
    pub(crate) fn drain(&self, notices: &NoticeReceiver, out: &mut Vec<Line>) {
        let mut ran: BTreeMap<usize, u64> = BTreeMap::new();
        let mut failures_shown = 0;
        let mut failures_hidden = 0u64;
        while let Some(notice) = notices.try_next() {
            match notice {
                Notice::Ran { worker, runs } => {
                    ran.insert(worker, runs);
                }
                Notice::Failure {
                    worker,
                    scenario,
                    error,
                } => {
                    if failures_shown < FAILURES_PER_BATCH {
                        failures_shown += 1;
                        let kind = failure_kind(&*error);
                        let mut text = format!("[W:{worker}] Failure! {scenario}: {kind}: {error}");
                        if self.verbose > 0 {
                            let mut detail = String::new();
                            render::error_detail(&mut detail, &*error);
                            push_detail(&mut text, &detail);
                        }
                        self.push(out, text, true);
                    } else {
                        failures_hidden += 1;
                    }
                }
                other => {
                    self.flush_ran(&mut ran, out);
                    self.line(other, out);
                }
            }
        }
        if failures_hidden > 0 {
            self.push(
                out,
                format!("... and {failures_hidden} more failures"),
                true,
            );
        }
        self.flush_ran(&mut ran, out);
    }

    fn flush_ran(&self, ran: &mut BTreeMap<usize, u64>, out: &mut Vec<Line>) {
        for (worker, runs) in std::mem::take(ran) {
            self.push(out, format!("[W:{worker}] Ran {runs} scenarios"), false);
        }
    }

    fn line(&self, notice: Notice, out: &mut Vec<Line>) {
        let (text, error) = match notice {
            Notice::Preparing { workers } => {
                let s = if workers == 1 { "" } else { "s" };
                (format!("Preparing {workers} worker{s}..."), false)
            }
            Notice::Started => ("OK".to_owned(), false),
            Notice::WorkerStarting(w) => (format!("[W:{w}] Starting"), false),
            Notice::SettingUpSession(w) => (format!("[W:{w}] Setting up session"), false),
            Notice::RunningScenarios(w) => (format!("[W:{w}] Running scenarios"), false),
            Notice::WorkerDone(w) => (format!("[W:{w}] Done!"), false),
            Notice::FixtureFailed {
                fixture,
                worker,
                error,
            } => {
                let who = worker.map(|w| format!("[W:{w}] ")).unwrap_or_default();
                let mut text = format!("{who}The {fixture}() fixture failed: {error}");
                let mut detail = String::new();
                render::error_detail(&mut detail, &*error);
                push_detail(&mut text, &detail);
                (text, true)
            }
            Notice::ListenerFailed { event, error } => {
                let mut text = format!("An event listener failed on {event}: {error}");
                if self.verbose > 0 {
                    let mut detail = String::new();
                    render::error_detail(&mut detail, &*error);
                    push_detail(&mut text, &detail);
                }
                (text, true)
            }
            Notice::Warning(message) => (format!("Warning: {message}"), true),
            Notice::Exchange(dump) => (dump, true),
            // Already formatted by another process, with its prefix.
            Notice::Line { text, error } => {
                out.push(Line { text, error });
                return;
            }
            _ => return,
        };
        self.push(out, text, error);
    }

    fn push(&self, out: &mut Vec<Line>, text: String, error: bool) {
        let text = if self.prefix.is_empty() {
            text
        } else {
            let mut prefixed = String::with_capacity(text.len() + self.prefix.len());
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    prefixed.push('\n');
                }
                let _ = write!(prefixed, "{}{line}", self.prefix);
            }
            prefixed
        };
        out.push(Line { text, error });
    }
}

/// Appends the indented detail lines (without their last newline) to `text`.
fn push_detail(text: &mut String, detail: &str) {
    let detail = detail.trim_end_matches('\n');
    if !detail.is_empty() {
        text.push('\n');
        text.push_str(detail);
    }
}
