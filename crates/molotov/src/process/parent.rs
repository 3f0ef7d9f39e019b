//! The parent of a `-p N` run: runs `global_setup`, forks the worker processes, shows their
//! progress as one run, stops them all when one must stop, and adds up their outcomes.
//!
//! Each child reports on a pipe read by a thread of its own, which also reaps the child when
//! its pipe closes; the main thread folds those events together. Stopping is global: a signal
//! here, or a child stopping by itself (`-x`, a failed fixture), or a child that crashed,
//! sends every other child a stop command on its control pipe (then an abort, after a second
//! signal), and each child still runs its teardowns.

use std::io::{BufReader, PipeReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use molotov_core::{Notice, Notices, Runner, Shutdown, StopCause};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;

use super::child;
use super::fork::Forked;
use super::protocol::{self, Command, Message, WireLine};
use super::tally::{self, Child};
use crate::app::{HostHooks, Watched, conclude};
use crate::display::{Display, Seized, eprint_line};
use crate::exit::ExitStatus;
use crate::export::MetricsListener;
use crate::outputs::Outputs;
use crate::settings::Settings;
use crate::signal;
use crate::sizing::SizingWatch;
use crate::statsd::{STATSD_VAR, Statsd};
use crate::threshold::ThresholdWatch;

/// What happened to a child, as its reader thread saw it.
enum Event {
    Message(usize, Message),
    /// The child's pipe closed and the child was reaped.
    Ended(usize, String),
}

/// Runs `runner` in `settings.processes` processes.
pub(crate) fn run(
    mut runner: Runner,
    settings: &Settings,
    mut outputs: Outputs,
    hooks: &HostHooks,
) -> ExitStatus {
    let early = signal::EarlySignals::listen();
    if let Err(status) = set_up(&mut runner) {
        return status;
    }
    // From here, held back until each process watches them (see `signal::Deferred`).
    let deferred = signal::Deferred::start();
    // A Ctrl-C during global_setup: no process is started, as no worker would be in one.
    let interrupted = early.arrived() || deferred.arrived();
    drop(early);
    let processes = if interrupted { 0 } else { settings.processes };
    // Before forking: the processes share the dashboard's terminal.
    let mut seized = Some(Seized::take(settings));
    let (events, received) = mpsc::channel::<Event>();
    let mut children = Vec::new();
    // Threads start once every process is forked: a fork copies only the calling thread.
    let mut followed = Vec::new();
    for index in 0..processes {
        let pipes = std::io::pipe().and_then(|messages| Ok((messages, std::io::pipe()?)));
        let ((reader, writer), (orders, commands)) = match pipes {
            Ok(pipes) => pipes,
            Err(e) => {
                // Nobody reads the started children's pipes: close them, or a child blocked
                // on a full pipe would never end.
                drop((seized, followed));
                return abandon(&children, &format!("cannot create a pipe: {e}"));
            }
        };
        match hooks.fork() {
            Ok(Forked::Child) => {
                drop((reader, commands, followed, events));
                if let Some(seized) = seized.take() {
                    seized.release_in_child();
                }
                let place = child::Place {
                    index,
                    deferred,
                    control: orders,
                };
                return child::run(runner, settings, place, writer, hooks);
            }
            Ok(Forked::Parent(pid)) => {
                drop((writer, orders));
                children.push(pid);
                followed.push((index, pid, reader, commands));
            }
            Err(e) => {
                drop((seized, followed));
                return abandon(&children, &format!("cannot start a process: {e}"));
            }
        }
    }
    let mut controls = Vec::with_capacity(followed.len());
    for (index, pid, reader, commands) in followed {
        read_child(index, pid, reader, events.clone());
        controls.push(commands);
    }
    drop(events);

    let shutdown = Shutdown::new();
    let seized = seized.unwrap_or(Seized::Nothing);
    let live = outputs.watch(settings, &runner.progress(), &shutdown);
    let verdicts = live.as_ref().map(ThresholdWatch::verdicts);
    let display = Display::start(seized, &mut runner, settings, &shutdown, verdicts);
    let notices = runner.notices();
    // `/metrics` of every process, served here.
    let metrics = outputs.take_metrics().and_then(MetricsListener::serving);
    if interrupted {
        shutdown.stop(StopCause::Interrupted);
    } else {
        notices.send(Notice::Line {
            text: format!("Forking {processes} processes"),
            error: false,
            printed: false,
        });
    }
    let watcher = signal::watch(shutdown.clone()).ok();
    // What arrived since global_setup started reaches the watcher now.
    drop(deferred);
    let sizing = settings.sizing.and_then(|tolerance| {
        SizingWatch::start(runner.progress(), shutdown.clone(), tolerance).ok()
    });
    let mut tracked: Vec<Child> = children.iter().zip(controls).map(Child::new).collect();
    let metrics = metrics.as_ref();
    follow(
        &received,
        &mut tracked,
        &shutdown,
        &runner,
        hooks,
        settings,
        metrics,
    );
    drop(watcher);
    let sizing = sizing.map(SizingWatch::finish);
    let aborted_by = live.and_then(ThresholdWatch::finish);

    let mut summary = tally::outcome(&mut tracked, &shutdown, runner.config_mut().seed);
    if let Some(failure) = runner.global_teardown() {
        summary.fixture_failures.push(failure);
    }
    hooks.flush_output();
    let outcome = Watched {
        sizing,
        aborted_by,
        exported: tally::pushes(&tracked),
    };
    conclude(&summary, processes, &outcome, outputs, display, settings)
}

/// `global_setup`, in the parent, before the processes are forked.
fn set_up(runner: &mut Runner) -> Result<(), ExitStatus> {
    if let Err(e) = runner.global_setup() {
        eprint_line(&format!("error: {e}"));
        return Err(ExitStatus::FixtureFailed);
    }
    // What global_setup sent to statsd goes now, or every forked copy of the buffer would
    // send it again.
    if let Some(statsd) = runner.vars().get::<Statsd>(STATSD_VAR) {
        statsd.flush();
    }
    Ok(())
}

/// Folds the children's events together until every child ended.
fn follow(
    received: &mpsc::Receiver<Event>,
    tracked: &mut [Child],
    shutdown: &Shutdown,
    runner: &Runner,
    hooks: &HostHooks,
    settings: &Settings,
    metrics: Option<&crate::export::MetricsListener>,
) {
    let metrics = metrics.zip(settings.export.as_ref());
    let progress = runner.progress();
    let notices = &runner.notices();
    let (mut relayed_stop, mut relayed_abort) = (false, false);
    let mut crashed = false;
    let tick = settings.console_update.min(Duration::from_millis(200));
    let mut published = Instant::now();
    while tracked.iter().any(|c| !c.ended) {
        // The host's lock (the GIL) is not needed while waiting.
        if let Ok(event) = hooks.parked(|| received.recv_timeout(tick)) {
            crashed |= handle(event, tracked, shutdown, notices);
        }
        if (shutdown.is_stopping() || crashed) && !relayed_stop {
            relayed_stop = true;
            command_children(tracked, Command::Stop);
        }
        if shutdown.is_aborted() && !relayed_abort {
            relayed_abort = true;
            command_children(tracked, Command::Abort);
        }
        tally::publish_progress(tracked, &progress);
        if let Some((listener, export)) = metrics {
            if published.elapsed() >= Duration::from_secs(1) {
                published = Instant::now();
                publish_metrics(listener, export, tracked);
            }
        }
    }
    // The final figures, for a last scrape.
    if let Some((listener, export)) = metrics {
        publish_metrics(listener, export, tracked);
    }
}

/// `/metrics` from each process's latest statistics, with its own `instance` label.
fn publish_metrics(
    listener: &crate::export::MetricsListener,
    export: &crate::export::ExportConfig,
    tracked: &mut [Child],
) {
    use crate::export::metrics::{Arrivals, Source};
    let sources: Vec<Source> = tracked
        .iter_mut()
        .filter_map(|c| {
            let (report, elapsed) = match &c.summary {
                Some(s) => (&s.report, s.elapsed),
                None => c.report.as_ref().map(|(r, e)| (r, *e))?,
            };
            let runs: u64 = report
                .scenarios
                .values()
                .map(|e| e.successes + e.failures)
                .sum();
            let (late, dropped, target_rate) =
                match c.summary.as_ref().and_then(|s| s.arrivals.as_ref()) {
                    Some(a) => (a.late, a.dropped, 0.0),
                    None => c.arrivals,
                };
            Some(Source {
                instance: crate::export::instance(c.pid),
                report: std::sync::Arc::new(report.clone()),
                workers: if c.running() { c.workers } else { 0 },
                generator_busy: c.generator_busy,
                arrivals: export.open.then_some(Arrivals {
                    target_rate,
                    // A child that ended achieves nothing more (as it runs no worker).
                    achieved_rate: if c.running() {
                        c.meter.update(elapsed, runs)
                    } else {
                        0.0
                    },
                    late,
                    dropped,
                }),
            })
        })
        .collect();
    listener.publish(&sources, &export.run_id);
}

/// Applies one event; `true` if it was a child crashing (the others must then stop).
fn handle(event: Event, tracked: &mut [Child], shutdown: &Shutdown, notices: &Notices) -> bool {
    match event {
        Event::Message(index, message) => {
            let child = &mut tracked[index];
            match message {
                Message::Lines { lines } => {
                    for WireLine(text, error, printed) in lines {
                        notices.send(Notice::Line {
                            text,
                            error,
                            printed,
                        });
                    }
                }
                Message::Progress {
                    successes,
                    failures,
                    workers,
                    last_failure,
                    arrivals,
                    generator_busy,
                } => {
                    (child.successes, child.failures, child.workers) =
                        (successes, failures, workers);
                    child.generator_busy = generator_busy;
                    if let Some(arrivals) = arrivals {
                        child.arrivals = arrivals;
                    }
                    if let Some(text) = last_failure {
                        notices.progress().set_last_failure(text);
                    }
                }
                Message::Report {
                    report,
                    elapsed,
                    figures,
                } => {
                    child.report = Some((report, elapsed));
                    child.figures = figures.map(|f| *f);
                }
                Message::Exported { outcomes } => child.exported = outcomes,
                Message::Stop { cause } => {
                    if let Some(cause) = StopCause::from_name(&cause) {
                        shutdown.stop(cause);
                    }
                }
                Message::Done { summary } => {
                    child.summary = Some((*summary).into());
                    child.workers = 0;
                }
            }
            false
        }
        Event::Ended(index, how) => {
            let child = &mut tracked[index];
            child.ended = true;
            child.workers = 0;
            child.control = None;
            if child.summary.is_none() {
                notices.send(Notice::Line {
                    text: format!(
                        "[P:{}] The process crashed ({how}); its counts are lost, the others stop",
                        child.pid
                    ),
                    error: true,
                    printed: false,
                });
                return true;
            }
            false
        }
    }
}

/// `command` to every child still running.
fn command_children(tracked: &mut [Child], command: Command) {
    for child in tracked.iter_mut().filter(|c| !c.ended) {
        if let Some(control) = child.control.as_mut() {
            // A child that just ended cannot hear it; its end is reported by its reader.
            if command.send(control).is_err() {
                child.control = None;
            }
        }
    }
}

/// Reads child `index`'s messages on a thread of its own, then reaps it.
fn read_child(index: usize, pid: u32, reader: PipeReader, events: mpsc::Sender<Event>) {
    let on_failure = events.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("molotov-process-{index}"))
        .spawn(move || {
            let mut input = BufReader::new(reader);
            // A malformed line or a closed pipe both end the conversation.
            while let Ok(Some(message)) = protocol::receive(&mut input) {
                if events.send(Event::Message(index, message)).is_err() {
                    break;
                }
            }
            let how = match i32::try_from(pid).map(|p| waitpid(Pid::from_raw(p), None)) {
                Ok(Ok(WaitStatus::Exited(_, code))) => format!("exit code {code}"),
                Ok(Ok(WaitStatus::Signaled(_, signal, _))) => format!("killed by {signal}"),
                Ok(Ok(other)) => format!("{other:?}"),
                Ok(Err(e)) => format!("cannot wait for it: {e}"),
                Err(_) => "no such process".to_owned(),
            };
            let _ = events.send(Event::Ended(index, how));
        });
    if spawned.is_err() {
        // A process nobody follows would block on its pipe: it is stopped, and reported as
        // crashed so the others stop too.
        if let Ok(raw) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(raw), Signal::SIGKILL);
            let _ = waitpid(Pid::from_raw(raw), None);
        }
        let _ = on_failure.send(Event::Ended(index, "cannot be followed".to_owned()));
    }
}

/// Forking failed part-way: stop the children already started, reap them, and report.
fn abandon(children: &[u32], why: &str) -> ExitStatus {
    for &pid in children {
        if let Ok(pid) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            let _ = waitpid(Pid::from_raw(pid), None);
        }
    }
    eprint_line(&format!("error: {why}"));
    ExitStatus::Usage
}
