//! The simple console: Molotov's line output (`[W:0] Starting`, `[W:0] Failure!`...) plus a
//! live footer with the success and failure counts.
//!
//! It runs on its own thread and wakes every `--console-update`: it takes the notices waiting
//! in the engine's channel and writes them, then redraws the footer. Workers never wait for
//! it: if the terminal is slow or stdout is a pipe nobody reads, notices pile up in the
//! channel and the excess is dropped and counted, and the load goes on. When stdout is not a
//! terminal the footer becomes a progress line every few seconds, for CI logs.
//!
//! What the load test prints is captured (see `capture`) and comes with the notices, in order:
//! the console writes it where it was printed (stdout or stderr), between molotov's lines.
//!
//! The console thread is the only writer of stdout while it runs, the banner and the final
//! summary included, so the end of the run does not wait on stdout either: the main thread
//! waits for the last lines only while they are being written, and gives up once stdout
//! stalls for [`STALLED`] (a pipe nobody reads), so the process still ends on time with its
//! exit code and `--json` results.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use molotov_core::{NoticeReceiver, Progress, Shutdown, StopCause};

use crate::arrivals::RateMeter;
use crate::failing::FailingWatch;
use crate::lines::Formatter;
use crate::render;
/// How often the progress line is written when stdout is not a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// At the end, how long stdout may accept nothing before the last lines are given up.
const STALLED: Duration = Duration::from_secs(2);
/// Output is written in pieces of at most this size, so that progress is visible.
const CHUNK: usize = 4096;

/// Where the console writes: stdout and stderr as they were before the capture.
pub(crate) struct Outputs {
    pub(crate) out: Box<dyn Write + Send>,
    pub(crate) err: Box<dyn Write + Send>,
}

impl Outputs {
    /// The process's own stdout and stderr (nothing is captured).
    pub(crate) fn std() -> Outputs {
        Outputs {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
        }
    }
}

/// What the console shows.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleOptions {
    pub(crate) update: Duration,
    pub(crate) verbose: u8,
    pub(crate) processes: usize,
    /// Draw the footer in place (stdout is a terminal).
    pub(crate) live_footer: bool,
}

/// The running console thread.
pub(crate) struct Console {
    /// Sends the last text (the summary) and asks the thread to finish.
    finish: mpsc::Sender<String>,
    /// Bytes written to stdout so far, to tell a slow reader from one that stopped reading.
    written: Arc<AtomicU64>,
    thread: JoinHandle<()>,
}

impl Console {
    /// Starts the console thread; `first` (the banner) is written at once.
    pub(crate) fn start(
        first: String,
        notices: Option<NoticeReceiver>,
        progress: Arc<Progress>,
        shutdown: Shutdown,
        options: ConsoleOptions,
        outputs: Outputs,
    ) -> io::Result<Console> {
        let (finish, finished) = mpsc::channel::<String>();
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let thread = std::thread::Builder::new()
            .name("molotov-console".into())
            .spawn(move || {
                let mut view = View::new(progress, shutdown, options, counter, outputs);
                view.write(vec![(false, first)], false);
                view.run(notices.as_ref(), &finished);
            })?;
        Ok(Console {
            finish,
            written,
            thread,
        })
    }

    /// Writes what is left, then `last`, and stops; the footer is erased so the summary
    /// follows cleanly. Waits while stdout accepts the output, not longer: when it accepts
    /// nothing for [`STALLED`], the thread is left behind, blocked, and the process can end.
    pub(crate) fn finish(self, last: String) {
        // A console thread that is gone has nothing left to write.
        let _ = self.finish.send(last);
        let mut seen = self.written.load(Ordering::Relaxed);
        let mut progress_at = Instant::now();
        while !self.thread.is_finished() {
            std::thread::park_timeout(Duration::from_millis(5));
            let now = self.written.load(Ordering::Relaxed);
            if now != seen {
                (seen, progress_at) = (now, Instant::now());
            } else if progress_at.elapsed() >= STALLED {
                return;
            }
        }
        // A panic in the console thread must not hide the run's result.
        let _ = self.thread.join();
    }
}

struct View {
    formatter: Formatter,
    progress: Arc<Progress>,
    written: Arc<AtomicU64>,
    shutdown: Shutdown,
    options: ConsoleOptions,
    started: Instant,
    last_progress_line: Instant,
    outputs: Outputs,
    /// stdout was closed: keep draining notices, write nothing.
    closed: bool,
    told_about_stop: bool,
    footer_shown: bool,
    failing: FailingWatch,
    /// The open model's achieved rate.
    meter: RateMeter,
}

impl View {
    fn new(
        progress: Arc<Progress>,
        shutdown: Shutdown,
        options: ConsoleOptions,
        written: Arc<AtomicU64>,
        outputs: Outputs,
    ) -> View {
        let now = Instant::now();
        View {
            formatter: Formatter::new(options.verbose, String::new()),
            progress,
            written,
            shutdown,
            options,
            started: now,
            last_progress_line: now,
            outputs,
            closed: false,
            told_about_stop: false,
            footer_shown: false,
            failing: FailingWatch::default(),
            meter: RateMeter::default(),
        }
    }

    /// Refreshes every `--console-update` until the last text arrives (or the main thread is
    /// gone), then writes what is left and that text.
    fn run(&mut self, notices: Option<&NoticeReceiver>, finished: &mpsc::Receiver<String>) {
        loop {
            let last = match finished.recv_timeout(self.options.update) {
                Ok(last) => Some(last),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => Some(String::new()),
            };
            let mut pieces = Pieces::default();
            let mut text = String::new();
            self.stop_message(&mut text);
            pieces.add(false, &text);
            let mut lines = Vec::new();
            if let Some(notices) = notices {
                self.formatter.drain(notices, &mut lines);
            }
            if last.is_some() {
                self.formatter.finish(&mut lines);
            }
            for line in lines {
                pieces.add(line.printed && line.error, &line.text);
                pieces.add(line.printed && line.error, "\n");
            }
            if let Some(line) = self.failing.check(&self.progress, self.started.elapsed()) {
                pieces.add(false, &line);
                pieces.add(false, "\n");
            }
            if let Some(last) = last {
                pieces.add(false, &last);
                self.write(pieces.0, true);
                return;
            }
            self.write(pieces.0, false);
        }
    }

    fn stop_message(&mut self, text: &mut String) {
        if self.told_about_stop || self.shutdown.cause() != Some(StopCause::Interrupted) {
            return;
        }
        self.told_about_stop = true;
        let _ = writeln!(
            text,
            "Stopping: letting the scenarios in flight finish (interrupt again to cancel them)"
        );
    }

    fn footer(&mut self) -> String {
        let mut footer = format!(
            "SUCCESS: {} FAILED: {} WORKERS: {} PROCESSES: {} ELAPSED: {}",
            self.progress.successes(),
            self.progress.failures(),
            self.progress.workers(),
            self.options.processes,
            render::elapsed(self.started.elapsed()),
        );
        let runs = self.progress.successes() + self.progress.failures();
        let achieved = self.meter.update(self.started.elapsed(), runs);
        if let Some(open) = crate::arrivals::live(&self.progress, achieved) {
            footer.push(' ');
            footer.push_str(&open);
        }
        if let Some(generator) = crate::generator::live(&self.progress) {
            footer.push(' ');
            footer.push_str(&generator);
        }
        footer
    }

    /// Writes `pieces` (each to stdout, or to stderr when flagged), then the footer: redrawn
    /// in place on a terminal, a line every few seconds otherwise.
    fn write(&mut self, pieces: Vec<(bool, String)>, finishing: bool) {
        if self.closed {
            return;
        }
        if self.options.live_footer {
            if self.footer_shown {
                self.emit(false, "\r\x1b[2K");
            }
            for (stderr, text) in pieces {
                self.emit(stderr, &text);
            }
            if finishing {
                self.footer_shown = false;
            } else {
                let footer = self.footer();
                self.emit(false, &footer);
                self.footer_shown = true;
            }
            return;
        }
        for (stderr, text) in pieces {
            self.emit(stderr, &text);
        }
        if !finishing && self.last_progress_line.elapsed() >= PROGRESS_EVERY {
            self.last_progress_line = Instant::now();
            let footer = format!("{}\n", self.footer());
            self.emit(false, &footer);
        }
    }

    /// Writes `text` to stdout or stderr, in pieces, counting what was written.
    fn emit(&mut self, stderr: bool, text: &str) {
        if self.closed || text.is_empty() {
            return;
        }
        let out = if stderr {
            &mut self.outputs.err
        } else {
            &mut self.outputs.out
        };
        for chunk in text.as_bytes().chunks(CHUNK) {
            if out.write_all(chunk).and_then(|()| out.flush()).is_err() {
                // Closed or broken output: nothing more can be shown; the run goes on. (A
                // closed stderr alone stops the console too: both are usually the terminal.)
                self.closed = true;
                return;
            }
            self.written
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    }
}

/// Text for stdout (`false`) and stderr (`true`), in order, neighbours of one stream merged.
#[derive(Default)]
struct Pieces(Vec<(bool, String)>);

impl Pieces {
    fn add(&mut self, stderr: bool, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some((last, piece)) if *last == stderr => piece.push_str(text),
            _ => self.0.push((stderr, text.to_owned())),
        }
    }
}
