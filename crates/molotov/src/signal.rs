//! Ctrl-C and SIGTERM: the first asks the run to stop gracefully, the second cancels the
//! scenarios still in flight (teardowns still run).
//!
//! The signals are watched on a thread of their own, with its own small runtime: a signal
//! stops the run the moment it arrives, whatever the run's thread is doing (a synchronous
//! `global_setup`, a scenario that blocks), and a signal received during `global_setup`
//! keeps every worker from starting.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use molotov_core::{Shutdown, StopCause};
use tokio::sync::oneshot;

/// The watching thread; dropping this ends it.
pub(crate) struct Watcher {
    _stop: oneshot::Sender<()>,
}

/// Starts watching SIGINT and SIGTERM for `shutdown`; they are listened to when this returns.
pub(crate) fn watch(shutdown: Shutdown) -> io::Result<Watcher> {
    watch_with(shutdown, true, Box::new(|| {}))
}

/// For a worker process: SIGTERM (`kill`, or the parent dying) stops, then aborts; SIGINT
/// (the terminal's Ctrl-C, which reaches the whole process group) is ignored, as the parent
/// relays it as a command. `heard` is called when a signal arrives, before the stop.
pub(crate) fn watch_terminate(
    shutdown: Shutdown,
    heard: Box<dyn Fn() + Send>,
) -> io::Result<Watcher> {
    watch_with(shutdown, false, heard)
}

fn watch_with(
    shutdown: Shutdown,
    interrupt_counts: bool,
    heard: Box<dyn Fn() + Send>,
) -> io::Result<Watcher> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, listening) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("molotov-signals".into())
        .spawn(move || {
            let signals = {
                let _context = runtime.enter();
                Signals::new(interrupt_counts)
            };
            let _ = ready.send(());
            runtime.block_on(async {
                tokio::select! {
                    () = stop_on(signals, &shutdown, &*heard) => {}
                    _ = stopped => {}
                }
            });
        })?;
    // The thread sends once its handlers are installed; if it died, watch nothing.
    let _ = listening.recv();
    Ok(Watcher { _stop: stop })
}

/// The first signal stops the run gracefully, the second aborts it.
async fn stop_on(mut signals: Signals, shutdown: &Shutdown, heard: &dyn Fn()) {
    signals.next().await;
    heard();
    shutdown.stop(StopCause::Interrupted);
    signals.next().await;
    shutdown.abort(StopCause::Interrupted);
}

/// The signals that stop a run, listened to from their creation on.
#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
    /// Whether SIGINT stops the run (it is still caught otherwise, so it does not kill).
    interrupt_counts: bool,
}

#[cfg(unix)]
impl Signals {
    /// Starts listening; must be called in a tokio runtime's context.
    fn new(interrupt_counts: bool) -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            interrupt_counts,
        }
    }

    async fn next(&mut self) {
        async fn recv(s: Option<&mut tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        loop {
            tokio::select! {
                () = recv(self.interrupt.as_mut()) => if self.interrupt_counts { return },
                () = recv(self.terminate.as_mut()) => return,
            }
        }
    }
}

/// Ctrl-C, listened to from the first wait on.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Ctrl-C is listened to from the first wait on.
    fn new(_interrupt_counts: bool) -> Self {
        Signals
    }

    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// SIGINT and SIGTERM while the parent of a `-p` run is in `global_setup`, before the run
/// has a thread or runtime of its own (tokio's signal handling is not made to cross a fork):
/// the first is noted, and the run then stops before any process is forked; the second ends
/// the process as the signal would, so a `global_setup` that hangs can still be interrupted.
/// Dropping this stops listening.
pub(crate) struct EarlySignals {
    arrived: Arc<AtomicBool>,
    registered: Vec<signal_hook::SigId>,
}

impl EarlySignals {
    /// Starts listening (a signal that cannot be listened to keeps its usual effect).
    pub(crate) fn listen() -> EarlySignals {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let arrived = Arc::new(AtomicBool::new(false));
        let mut registered = Vec::new();
        for signal in [SIGINT, SIGTERM] {
            // In this order: a signal that finds the flag set gets the default action.
            let second =
                signal_hook::flag::register_conditional_default(signal, Arc::clone(&arrived));
            let first = signal_hook::flag::register(signal, Arc::clone(&arrived));
            registered.extend(second.into_iter().chain(first));
        }
        EarlySignals {
            arrived,
            registered,
        }
    }

    /// Whether a SIGINT or SIGTERM arrived.
    pub(crate) fn arrived(&self) -> bool {
        self.arrived.load(Ordering::SeqCst)
    }
}

impl Drop for EarlySignals {
    fn drop(&mut self) {
        for id in self.registered.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// SIGINT and SIGTERM held back on the calling thread (and on the threads and processes it
/// starts meanwhile) until this is dropped, which unblocks them on the calling thread: a
/// signal that arrives meanwhile waits, and is delivered then (to the watcher installed by
/// then).
///
/// A `-p` run holds them back from the end of `global_setup` until each process watches
/// them: a forked process cannot be killed by a SIGTERM that arrives before its watcher is
/// up, and the parent's Ctrl-C while forking still stops the run.
pub(crate) struct Deferred {
    previous: Option<nix::sys::signal::SigSet>,
}

impl Deferred {
    /// Starts holding SIGINT and SIGTERM back (nothing is held if the mask cannot be set).
    pub(crate) fn start() -> Deferred {
        use nix::sys::signal::{SigSet, SigmaskHow, Signal};
        let mut held = SigSet::empty();
        held.add(Signal::SIGINT);
        held.add(Signal::SIGTERM);
        Deferred {
            previous: held.thread_swap_mask(SigmaskHow::SIG_BLOCK).ok(),
        }
    }

    /// Whether a SIGINT or SIGTERM arrived and is waiting.
    #[allow(
        unsafe_code,
        reason = "sigpending only writes the set it is given; nix does not wrap it"
    )]
    pub(crate) fn arrived(&self) -> bool {
        if self.previous.is_none() {
            // Nothing was held back: a signal acted when it arrived.
            return false;
        }
        let mut pending = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
        // SAFETY: `pending` is a valid, writable sigset_t; sigpending fills it on success.
        unsafe {
            if libc::sigemptyset(pending.as_mut_ptr()) != 0
                || libc::sigpending(pending.as_mut_ptr()) != 0
            {
                return false;
            }
            let pending = pending.assume_init();
            libc::sigismember(&raw const pending, libc::SIGINT) == 1
                || libc::sigismember(&raw const pending, libc::SIGTERM) == 1
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = previous.thread_set_mask();
        }
    }
}
