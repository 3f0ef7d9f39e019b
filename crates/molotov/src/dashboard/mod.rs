//! The full-screen dashboard, the default view when stdout is a terminal (`-c` asks for the line
//! console instead).
//!
//! - `board`: the state shown, updated each refresh from the run's notices and counters.
//! - `draw`: the layout and widgets, a pure function of the board (tested with ratatui's test
//!   backend).
//!
//! - `screen`: taking over the terminal (raw mode, alternate screen, stdout and stderr
//!   captured into the panes) and giving it back.
//!
//! It runs on its own thread, like the console, and never holds up the workers. [`Screen`]'s
//! `Drop` restores the terminal whatever happens (normal end, error, panic); the summary is
//! printed after that. In raw mode Ctrl-C
//! arrives as a key: the first asks the run to stop, the second cancels what is in flight.

mod board;
mod draw;
mod screen;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use molotov_core::{NoticeReceiver, Progress, Shutdown, StopCause};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use self::board::Board;
pub(crate) use self::screen::Screen;
use crate::failing::FailingWatch;
use crate::lines::Formatter;
use crate::percentiles::Percentiles;
use crate::threshold::{LiveVerdicts, Verdict};

/// What the dashboard shows, and how often.
pub(crate) struct DashboardOptions {
    /// The refresh period (`--console-update`).
    pub(crate) update: Duration,
    /// `-v`: failures with their causes.
    pub(crate) verbose: u8,
    /// The processes of the run.
    pub(crate) processes: usize,
    /// The latency columns.
    pub(crate) percentiles: Percentiles,
    /// The thresholds' live verdicts, when there are thresholds.
    pub(crate) thresholds: Option<LiveVerdicts>,
}

/// The running dashboard thread.
pub(crate) struct Dashboard {
    finish: mpsc::Sender<String>,
    thread: Option<JoinHandle<()>>,
}

impl Dashboard {
    /// Starts drawing on `screen`; when it cannot, the notices come back with the error, for
    /// another view (and `screen`, dropped, has given the terminal back).
    pub(crate) fn start(
        screen: Screen,
        notices: Option<NoticeReceiver>,
        progress: Arc<Progress>,
        shutdown: Shutdown,
        options: DashboardOptions,
    ) -> Result<Dashboard, (io::Error, Option<NoticeReceiver>)> {
        let terminal = match screen
            .tty()
            .and_then(|tty| Terminal::new(CrosstermBackend::new(tty)))
        {
            Ok(terminal) => terminal,
            Err(e) => return Err((e, notices)),
        };
        let (finish, finished) = mpsc::channel::<String>();
        let thread = std::thread::Builder::new()
            .name("molotov-dashboard".into())
            .spawn(move || {
                let mut formatter = Formatter::new(options.verbose, String::new());
                let last = follow(
                    terminal,
                    screen,
                    &mut formatter,
                    notices.as_ref(),
                    &progress,
                    &shutdown,
                    options,
                    &finished,
                );
                // The screen is restored (dropped) by now: the summary goes to the terminal.
                let mut out = io::stdout().lock();
                let _ = out.write_all(last.as_bytes()).and_then(|()| out.flush());
            })
            .map_err(|e| (e, None))?;
        Ok(Dashboard {
            finish,
            thread: Some(thread),
        })
    }

    /// Restores the terminal, then prints `last` (the summary).
    pub(crate) fn finish(mut self, last: String) {
        // A dashboard thread that is gone (it panicked; the screen was restored as it
        // unwound) hands the text back: it is printed here instead.
        let unsent = self.finish.send(last).err().map(|e| e.0);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(last) = unsent {
            let mut out = io::stdout().lock();
            let _ = out.write_all(last.as_bytes()).and_then(|()| out.flush());
        }
    }
}

impl Drop for Dashboard {
    /// Dropped without `finish` (the main thread is unwinding): the terminal is still restored.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.finish.send(String::new());
            let _ = thread.join();
        }
    }
}

/// Draws at once, then every `update` until the last text arrives; returns it.
#[allow(
    clippy::too_many_arguments,
    reason = "the thread's inputs, passed once"
)]
fn follow(
    mut terminal: Terminal<CrosstermBackend<File>>,
    screen: Screen,
    formatter: &mut Formatter,
    notices: Option<&NoticeReceiver>,
    progress: &Progress,
    shutdown: &Shutdown,
    options: DashboardOptions,
    finished: &mpsc::Receiver<String>,
) -> String {
    let update = options.update;
    let started = Instant::now();
    let mut next_second = started + Duration::from_secs(1);
    let mut board = Board::new(options.processes, options.percentiles);
    let mut failing = FailingWatch::default();
    let mut last = None;
    // `None`: no frame is due before the last (a period too long for the clock).
    let mut next_frame = Some(started);
    loop {
        let now = Instant::now();
        let keys = keys(shutdown);
        if keys.redraw {
            let _ = terminal.clear();
        }
        if next_frame.is_some_and(|at| now >= at) || last.is_some() || keys.redraw {
            next_frame = now.checked_add(update);
            if last.is_some() {
                // What was printed last comes with the last notices.
                screen.flush();
            }
            let mut lines = Vec::new();
            if let Some(notices) = notices {
                formatter.drain(notices, &mut lines);
            }
            if last.is_some() {
                formatter.finish(&mut lines);
            }
            board.push_lines(lines);
            board.successes = progress.successes();
            board.failures = progress.failures();
            board.workers = progress.workers();
            let achieved = board.rates.back().copied().unwrap_or(0) as f64;
            board.arrivals = crate::arrivals::live(progress, achieved);
            board.generator = crate::generator::live(progress);
            board.elapsed = started.elapsed();
            board.stopping = shutdown.is_stopping();
            if let Some(verdicts) = &options.thresholds {
                board.thresholds = verdicts.lock().ok().map(|v| thresholds_line(&v));
            }
            if let Some(line) = failing.check(progress, board.elapsed) {
                board.failing = Some(line);
            } else if !failing.is_failing() {
                board.failing = None;
            }
            while now >= next_second {
                next_second += Duration::from_secs(1);
                board.sample_second(board.successes, board.failures);
                if let Some(snapshot) = progress.latest_report() {
                    board.report = Some(snapshot);
                }
            }
            // A terminal that cannot be drawn on is no reason to stop the run.
            let _ = terminal.draw(|frame| draw::draw(frame, &board));
        }
        if let Some(last) = last {
            drop(terminal);
            drop(screen);
            return last;
        }
        // Keys are read more often than frames are drawn, so Ctrl-C is never slow.
        let wait = next_frame.map_or(KEY_POLL, |at| {
            at.saturating_duration_since(Instant::now()).min(KEY_POLL)
        });
        last = match finished.recv_timeout(wait) {
            Ok(last) => Some(last),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(String::new()),
        };
    }
}

/// How often keys are read.
const KEY_POLL: Duration = Duration::from_millis(50);

/// What the keys read asked for.
struct Keys {
    /// Ctrl-L: clear and draw everything again.
    redraw: bool,
}

/// Ctrl-C (a key in raw mode): the first stops the run, the second cancels what is in flight.
/// Ctrl-L redraws the screen.
fn keys(shutdown: &Shutdown) -> Keys {
    let mut keys = Keys { redraw: false };
    while let Ok(true) = event::poll(Duration::ZERO) {
        let event = event::read();
        if let Ok(Event::Resize(..)) = event {
            keys.redraw = true;
        }
        let Ok(Event::Key(key)) = event else {
            continue;
        };
        let control =
            key.kind == KeyEventKind::Press && key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if control => {
                if shutdown.is_stopping() {
                    shutdown.abort(StopCause::Interrupted);
                } else {
                    shutdown.stop(StopCause::Interrupted);
                }
            }
            KeyCode::Char('l') if control => keys.redraw = true,
            _ => {}
        }
    }
    keys
}

/// `THRESHOLDS ✓ scenario.p95 < 200ms (12.3 ms)  ✗ failures < 1% (2.1 %)`, and whether all
/// pass; before the first evaluation, that they are pending.
pub(crate) fn thresholds_line(verdicts: &[Verdict]) -> (String, bool) {
    if verdicts.is_empty() {
        return ("THRESHOLDS: evaluated every 2 s".to_owned(), true);
    }
    let mut line = String::from("THRESHOLDS");
    for v in verdicts {
        let mark = if v.passed { '✓' } else { '✗' };
        let _ = write!(line, "  {mark} {} ({})", v.expression, v.shown);
    }
    (line, verdicts.iter().all(|v| v.passed))
}
