//! A worker process of a `-p N` run: runs its share of the workers and reports everything to
//! the parent over a pipe (console lines, counters, statistics snapshots, its outcome); it
//! writes nothing to stdout itself.

use std::io::{PipeReader, PipeWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use molotov_core::{NoticeReceiver, Partition, Progress, Runner, Shutdown, StopCause, Summary};

use super::protocol::{self, Command, Message, WireLine, WireSummary};
use crate::app::HostHooks;
use crate::capture::Capture;
use crate::display::eprint_line;
use crate::exit::ExitStatus;
use crate::lines::{Formatter, Line};
use crate::panics::QuietPanics;
use crate::settings::{Output, Settings};
use crate::{runtime, signal};

/// How often a statistics snapshot goes to the parent (for live views).
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Where a forked process stands in the run.
pub(crate) struct Place {
    /// Which process this is, from 0.
    pub(crate) index: usize,
    /// The signals held back since before the fork, released once they are watched.
    pub(crate) deferred: signal::Deferred,
    /// Where the parent's commands arrive.
    pub(crate) control: PipeReader,
}

/// Runs process `place.index` of the run, reporting to `out`.
pub(crate) fn run(
    mut runner: Runner,
    settings: &Settings,
    place: Place,
    out: PipeWriter,
    hooks: &HostHooks,
) -> ExitStatus {
    let Place {
        index,
        deferred,
        control,
    } = place;
    // If the parent dies, so does this run (gracefully); the end of the control pipe tells
    // too, even if the parent died before this was asked for.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
    {
        let config = runner.config_mut();
        config.global_fixtures = false;
        // Statistics snapshots are made (live_report) only when a live view needs them (the
        // dashboard, thresholds, the live page), as in one process.
        if settings.shard.is_some() {
            // A shard's processes split its share (workers, the schedule's stripe).
            if let Err(e) = crate::shard::narrow(config, index, settings.processes, 1) {
                eprint_line(&format!("error: process {index}: {e}"));
                return ExitStatus::Usage;
            }
        } else {
            // Each process runs -w workers (Molotov's -p) and makes every `processes`-th
            // run of the open model's schedule; worker ids of the processes never overlap.
            config.partition = Partition {
                index,
                count: std::num::NonZeroUsize::new(settings.processes)
                    .unwrap_or(std::num::NonZeroUsize::MIN),
            };
            config.first_worker_id = index * config.worker_slots();
            config.seed = config.seed.map(|s| s.wrapping_add(index as u64));
        }
    }
    let shutdown = Shutdown::new();
    let orphaned = obey(control, &shutdown);
    // The parent relays Ctrl-C as a command; the terminal's own SIGINT is ignored here, and
    // SIGTERM (from `kill`, or the parent dying) stops, then aborts, as in one process.
    // A SIGTERM may be the parent dying (the death signal can come while its end of the
    // message pipe is still open, and will never be read): from then on, lines go to this
    // process's own stdout and stderr.
    let heard = {
        let orphaned = orphaned.clone();
        Box::new(move || orphaned.store(true, Ordering::SeqCst))
    };
    let watcher = signal::watch_terminate(shutdown.clone(), heard).ok();
    // A stop relayed since the fork reaches the watcher now.
    drop(deferred);
    // With -q nobody shows the lines: leave them undrained, as a single process does.
    let notices = runner
        .take_notices()
        .filter(|_| settings.output != Output::Quiet);
    // What this process prints goes to the parent with its other lines, in order.
    let capture = (settings.output != Output::Quiet)
        .then(Capture::start)
        .and_then(Result::ok)
        .map(|mut capture| {
            capture.install(&runner.notices());
            capture
        });
    // With its parent gone, the process still shows its last lines (teardowns...) on the
    // stdout and stderr it was started with.
    let fallback = capture
        .as_ref()
        .and_then(|c| Some(Fallback::new(c.real(false).ok()?, c.real(true).ok()?)));
    let reporter = Reporter::start(
        notices,
        runner.progress(),
        shutdown.clone(),
        settings.run.verbose,
        settings.console_update,
        Sink {
            out,
            fallback,
            orphaned,
        },
    );
    // Each process pushes its own metrics; `/metrics` is the parent's.
    let exporter = crate::export::attach(&mut runner, settings, None);
    let hook = QuietPanics::install();
    let summary = match runtime::build(hooks) {
        Ok(runtime) => runtime.block_on(runner.run(shutdown.clone())).ok(),
        Err(_) => None,
    };
    drop(hook);
    drop(watcher);
    let status = summary.as_ref().map_or(ExitStatus::Usage, |s| {
        ExitStatus::of(s, settings.fail, false)
    });
    hooks.flush_output();
    if let Some(capture) = &capture {
        capture.flush();
    }
    let pushes = exporter.map(|e| e.outcomes()).unwrap_or_default();
    reporter.finish(summary, pushes);
    drop(capture);
    status
}

/// Follows the parent's commands on a thread of its own. When the parent is gone (the end of
/// the pipe: only the parent holds its other end), the run stops gracefully and the thread
/// ends; the flag returned says so from then on.
fn obey(mut control: PipeReader, shutdown: &Shutdown) -> Arc<AtomicBool> {
    let orphaned = Arc::new(AtomicBool::new(false));
    let spawned = std::thread::Builder::new()
        .name("molotov-commands".into())
        .spawn({
            let (shutdown, orphaned) = (shutdown.clone(), orphaned.clone());
            move || {
                loop {
                    match Command::receive(&mut control) {
                        Ok(Some(Command::Stop)) => shutdown.stop(StopCause::Interrupted),
                        Ok(Some(Command::Abort)) => shutdown.abort(StopCause::Interrupted),
                        Ok(None) | Err(_) => break,
                    }
                }
                // Before the stop: every line made after it must go to the fallback.
                orphaned.store(true, Ordering::SeqCst);
                shutdown.stop(StopCause::Interrupted);
            }
        });
    // A process that cannot hear its parent must not run on unstoppable.
    if spawned.is_err() {
        shutdown.stop(StopCause::Interrupted);
    }
    orphaned
}

/// Where the reporter's messages go: the parent, or once it is gone, the lines to the
/// process's own stdout and stderr.
struct Sink {
    out: PipeWriter,
    fallback: Option<Fallback>,
    /// The parent is gone (its end of the control pipe closed), or may be (a SIGTERM, which
    /// a dying parent sends while some of its threads still hold the message pipe open): a
    /// message written then would be accepted and never read, so lines go to the fallback.
    orphaned: Arc<AtomicBool>,
}

/// The process's stdout and stderr as it was started, and whether the parent is gone.
struct Fallback {
    out: std::fs::File,
    err: std::fs::File,
}

impl Fallback {
    fn new(out: std::fs::File, err: std::fs::File) -> Self {
        Fallback { out, err }
    }
}

impl Sink {
    /// Sends `batch` to the parent; the lines of what could not be sent are written on the
    /// fallback instead (a parent that is gone cannot be told anything else; the run ends by
    /// itself).
    fn send(&mut self, batch: &[Message]) {
        let mut unsent = batch.iter();
        if self.orphaned.load(Ordering::SeqCst) {
            for message in unsent {
                self.write_lines(message);
            }
            return;
        }
        for message in unsent.by_ref() {
            if protocol::send(&mut self.out, message).is_err() {
                self.write_lines(message);
                break;
            }
        }
        for message in unsent {
            self.write_lines(message);
        }
    }

    fn write_lines(&mut self, message: &Message) {
        let (Some(fallback), Message::Lines { lines }) = (&mut self.fallback, message) else {
            return;
        };
        for WireLine(text, error, printed) in lines {
            let to = if *printed && *error {
                &mut fallback.err
            } else {
                &mut fallback.out
            };
            // One write per line: both streams may be a pipe other processes write to, and a
            // write of a line is atomic there (up to 4 KiB).
            let _ = to.write_all(format!("{text}\n").as_bytes());
        }
    }
}

/// The end of the run as the reporter sends it: the outcome, and how the metrics pushes went.
type Finished = (Option<Summary>, Vec<crate::export::PushOutcome>);

/// The thread that sends the run's progress to the parent.
struct Reporter {
    finish: mpsc::Sender<Finished>,
    thread: std::thread::JoinHandle<()>,
}

impl Reporter {
    fn start(
        notices: Option<NoticeReceiver>,
        progress: Arc<Progress>,
        shutdown: Shutdown,
        verbose: u8,
        every: Duration,
        mut sink: Sink,
    ) -> Reporter {
        let (finish, finished) = mpsc::channel::<Finished>();
        let mut formatter = Formatter::new(verbose, format!("[P:{}] ", std::process::id()));
        let thread = std::thread::spawn(move || {
            let mut stop_sent = false;
            let mut last_report = Instant::now();
            loop {
                let last = match finished.recv_timeout(every) {
                    Ok(finished) => Some(finished),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => Some((None, Vec::new())),
                };
                let mut lines: Vec<Line> = Vec::new();
                if let Some(notices) = &notices {
                    formatter.drain(notices, &mut lines);
                }
                if last.is_some() {
                    formatter.finish(&mut lines);
                }
                let mut batch = Vec::new();
                if !lines.is_empty() {
                    let lines = lines.into_iter().map(WireLine::from).collect();
                    batch.push(Message::Lines { lines });
                }
                batch.push(Message::Progress {
                    successes: progress.successes(),
                    failures: progress.failures(),
                    workers: progress.workers(),
                    last_failure: progress.last_failure(),
                    arrivals: Some((
                        progress.late_runs(),
                        progress.dropped_runs(),
                        progress.target_rate(),
                    ))
                    .filter(|a| *a != (0, 0, 0.0)),
                    generator_busy: progress.generator_busy(),
                });
                progress.want_failure();
                // A stop that started here (not one the parent relayed) concerns every process.
                if let Some(cause @ (StopCause::FailFast | StopCause::FixtureFailed)) =
                    shutdown.cause()
                {
                    if !stop_sent {
                        stop_sent = true;
                        batch.push(Message::Stop {
                            cause: cause.name().to_owned(),
                        });
                    }
                }
                if last_report.elapsed() >= REPORT_EVERY {
                    last_report = Instant::now();
                    if let Some((report, elapsed)) = progress.latest_report() {
                        batch.push(Message::Report {
                            report: molotov_core::stats::Report::clone(&report),
                            elapsed,
                            figures: progress.latest_figures().map(|f| Box::new((*f).clone())),
                        });
                    }
                }
                if let Some((_, exported)) = &last {
                    if !exported.is_empty() {
                        batch.push(Message::Exported {
                            outcomes: exported.clone(),
                        });
                    }
                }
                if let Some((Some(summary), _)) = &last {
                    batch.push(Message::Done {
                        summary: Box::new(WireSummary::from(summary)),
                    });
                }
                sink.send(&batch);
                if last.is_some() {
                    let _ = sink.out.flush();
                    return;
                }
            }
        });
        Reporter { finish, thread }
    }

    /// Sends what is left and the outcome, and waits until it is written.
    fn finish(self, summary: Option<Summary>, exported: Vec<crate::export::PushOutcome>) {
        let _ = self.finish.send((summary, exported));
        let _ = self.thread.join();
    }
}
