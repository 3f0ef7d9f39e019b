//! Notices → lines of text: Molotov's line formats (`[W:0] Starting`, `[W:0] Failure!`...),
//! each marked as activity or as a problem, so the simple console prints them in order and
//! views with two panes (or a parent process) can route them. What the load test printed
//! (captured, see `capture`) comes as lines too, in their place among molotov's.

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
    /// A failure, an error, a warning: what Molotov's UI puts in its error pane. For a printed
    /// line: printed on stderr.
    pub(crate) error: bool,
    /// The load test printed it (the line console writes it where it was printed, stdout or
    /// stderr; molotov's own lines all go to stdout).
    pub(crate) printed: bool,
}

/// Turns notices into lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Formatter {
    pub(crate) verbose: u8,
    /// Put before every line (`[P:1234] ` for the lines of a worker process).
    pub(crate) prefix: String,
    /// What was printed on stdout and on stderr after their last newline.
    partial: [Vec<u8>; 2],
}

/// The longest printed line kept whole; a longer one is cut into lines of this size, so a
/// test that prints without newlines cannot grow a buffer without bound.
const MAX_PRINTED_LINE: usize = 64 * 1024;

impl Formatter {
    /// A formatter for `-v` level `verbose`, putting `prefix` before every line.
    pub(crate) fn new(verbose: u8, prefix: String) -> Self {
        Formatter {
            verbose,
            prefix,
            partial: [Vec::new(), Vec::new()],
        }
    }

    /// What was printed without a final newline, as last lines (at the end of the run).
    pub(crate) fn finish(&mut self, out: &mut Vec<Line>) {
        for stderr in [false, true] {
            let rest = std::mem::take(&mut self.partial[usize::from(stderr)]);
            if !rest.is_empty() {
                self.push_printed(out, &rest, stderr);
            }
        }
    }

    /// Every notice waiting in `notices`, as lines. `Ran N scenarios` lines are collapsed to
    /// one per worker per batch; failure lines are capped at a few per batch.
    pub(crate) fn drain(&mut self, notices: &NoticeReceiver, out: &mut Vec<Line>) {
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
                Notice::Printed { bytes, stderr } => {
                    self.flush_ran(&mut ran, out);
                    self.printed(&bytes, stderr, out);
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

    /// Printed bytes: each completed line is one [`Line`]; the rest waits for its newline.
    fn printed(&mut self, bytes: &[u8], stderr: bool, out: &mut Vec<Line>) {
        let mut rest = bytes;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.partial[usize::from(stderr)]);
            line.extend_from_slice(&rest[..at]);
            self.push_printed(out, &line, stderr);
            rest = &rest[at + 1..];
        }
        let partial = &mut self.partial[usize::from(stderr)];
        partial.extend_from_slice(rest);
        if partial.len() >= MAX_PRINTED_LINE {
            let line = std::mem::take(partial);
            self.push_printed(out, &line, stderr);
        }
    }

    fn push_printed(&self, out: &mut Vec<Line>, bytes: &[u8], stderr: bool) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        out.push(Line {
            text: format!("{}{text}", self.prefix),
            error: stderr,
            printed: true,
        });
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
            Notice::Line {
                text,
                error,
                printed,
            } => {
                out.push(Line {
                    text,
                    error,
                    printed,
                });
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
        out.push(Line {
            text,
            error,
            printed: false,
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_bytes_become_lines_in_their_place() {
        let mut f = Formatter::new(0, "[P:7] ".into());
        let mut out = Vec::new();
        f.printed(b"one\ntw", false, &mut out);
        f.printed(b"o\r\nthree", false, &mut out);
        f.printed(b"oops\n", true, &mut out);
        f.finish(&mut out);
        let seen: Vec<(&str, bool, bool)> = out
            .iter()
            .map(|l| (l.text.as_str(), l.error, l.printed))
            .collect();
        assert_eq!(
            seen,
            [
                ("[P:7] one", false, true),
                ("[P:7] two", false, true),
                ("[P:7] oops", true, true),
                ("[P:7] three", false, true),
            ]
        );
    }

    #[test]
    fn a_line_without_end_is_cut() {
        let mut f = Formatter::default();
        let mut out = Vec::new();
        f.printed(&vec![b'x'; MAX_PRINTED_LINE + 10], false, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text.len(), MAX_PRINTED_LINE + 10);
        f.finish(&mut out);
        assert_eq!(out.len(), 1, "nothing was left over");
    }
}
