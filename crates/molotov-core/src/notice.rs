//! What the engine tells the outside world while it runs, without ever waiting for it.
//!
//! - [`Notice`]s (a worker started, a scenario failed, a fixture failed...) go through a
//!   bounded channel. Sending never blocks: when the console falls behind, notices are dropped
//!   and counted, so a slow or closed terminal cannot slow the load. Errors travel unformatted;
//!   the receiver formats only what it shows.
//! - [`Progress`](crate::Progress) (its own module) holds the live counters that the console
//!   reads on its own schedule.
//! - What the load test prints goes to stdout and stderr, not through the engine. A host that
//!   captures it (pipes in place of file descriptors 1 and 2) hands the engine a
//!   [`PrintSource`]: before each notice is sent, what was printed is taken from it and sent as
//!   [`Notice::Printed`], under one lock, so prints and notices reach the console in the order
//!   they happened.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, mpsc};
use std::time::Duration;

use crate::error::{BoxError, Fixture};
use crate::progress::Progress;

/// How many notices may wait for the console before new ones are dropped.
const CAPACITY: usize = 65_536;
/// Printed output is left in its pipe (so the printing code waits, as it would on a slow
/// terminal) rather than taken, when this many notices are already waiting: printed output is
/// never dropped.
const PRINTED_ROOM: usize = CAPACITY - 1024;

/// Output of the load test captured by the host (what it printed on stdout and stderr),
/// taken before each notice so the two keep their order.
pub trait PrintSource: Send {
    /// Calls `sink` with what was printed since the last call, oldest first, each piece with
    /// `true` when it was printed on stderr. Must not block: it returns what is there.
    fn take(&mut self, sink: &mut dyn FnMut(bool, Vec<u8>));
}

/// One thing worth telling the user.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice {
    /// The workers are about to start.
    Preparing {
        /// How many.
        workers: usize,
    },
    /// Everything is set up; the load starts.
    Started,
    /// A worker starts (before its ramp-up pause).
    WorkerStarting(usize),
    /// A worker creates its session.
    SettingUpSession(usize),
    /// A worker starts running scenarios.
    RunningScenarios(usize),
    /// A worker completed another ten runs.
    Ran {
        /// The worker id.
        worker: usize,
        /// Runs completed so far.
        runs: u64,
    },
    /// A worker is done.
    WorkerDone(usize),
    /// A scenario run failed.
    Failure {
        /// The worker id.
        worker: usize,
        /// The scenario.
        scenario: Arc<str>,
        /// What it failed with.
        error: BoxError,
    },
    /// A fixture failed.
    FixtureFailed {
        /// Which one.
        fixture: Fixture,
        /// For which worker, if per-worker.
        worker: Option<usize>,
        /// What it failed with.
        error: BoxError,
    },
    /// An event listener failed.
    ListenerFailed {
        /// The event being handled.
        event: &'static str,
        /// What it failed with.
        error: BoxError,
    },
    /// Something odd but not fatal (a weight-0 scenario, ...).
    Warning(String),
    /// `-vv`: a request and its response, formatted.
    Exchange(String),
    /// A line already formatted elsewhere (by another process of the run).
    Line {
        /// The text, without its newline.
        text: String,
        /// Whether it reports a problem (a failure, an error) rather than activity; for a
        /// printed line, whether it was printed on stderr.
        error: bool,
        /// Whether the load test printed it (rather than molotov).
        printed: bool,
    },
    /// What the load test printed, as captured: any bytes, not necessarily whole lines.
    Printed {
        /// The bytes.
        bytes: Vec<u8>,
        /// Printed on stderr (else stdout).
        stderr: bool,
    },
}

/// The sending side, cloned into every worker.
#[derive(Clone)]
pub struct Notices {
    tx: mpsc::SyncSender<Notice>,
    shared: Arc<Shared>,
}

/// What every sender and the receiver of one channel share.
struct Shared {
    progress: Arc<Progress>,
    /// Notices waiting in the channel.
    queued: AtomicUsize,
    /// The captured output, once the host installs it; its lock orders prints and notices.
    printed: OnceLock<Mutex<Box<dyn PrintSource>>>,
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notices")
            .field("queued", &self.shared.queued.load(Ordering::Relaxed))
            .field("captures_prints", &self.shared.printed.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The receiving side, for the console.
pub struct NoticeReceiver {
    rx: mpsc::Receiver<Notice>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for NoticeReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoticeReceiver").finish_non_exhaustive()
    }
}

/// A new channel and the progress counters it reports drops to.
pub(crate) fn channel(progress: Arc<Progress>) -> (Notices, NoticeReceiver) {
    let (tx, rx) = mpsc::sync_channel(CAPACITY);
    let shared = Arc::new(Shared {
        progress,
        queued: AtomicUsize::new(0),
        printed: OnceLock::new(),
    });
    (
        Notices {
            tx,
            shared: shared.clone(),
        },
        NoticeReceiver { rx, shared },
    )
}

impl Notices {
    /// Sends a notice unless the channel is full or closed (then it is counted as dropped).
    /// When prints are captured, what was printed before is sent first.
    pub fn send(&self, notice: Notice) {
        match self.shared.printed.get() {
            None => self.push(notice),
            Some(printed) => {
                let mut source = printed.lock().unwrap_or_else(PoisonError::into_inner);
                self.take_printed(&mut **source);
                self.push(notice);
            }
        }
    }

    /// Sends what was printed since the last notice, now (a host's capture thread does, when
    /// its pipes have something, and before the run's last lines are shown).
    pub fn send_printed(&self) {
        if let Some(printed) = self.shared.printed.get() {
            let mut source = printed.lock().unwrap_or_else(PoisonError::into_inner);
            self.take_printed(&mut **source);
        }
    }

    /// Has `source` (the host's capture of stdout and stderr) read before every notice; the
    /// first source installed stays. `false` if one already was.
    pub fn capture_prints(&self, source: Box<dyn PrintSource>) -> bool {
        self.shared.printed.set(Mutex::new(source)).is_ok()
    }

    fn take_printed(&self, source: &mut dyn PrintSource) {
        if self.shared.queued.load(Ordering::Relaxed) >= PRINTED_ROOM {
            // The console is far behind: the output waits in its pipe instead of being lost.
            return;
        }
        source.take(&mut |stderr, bytes| self.push(Notice::Printed { bytes, stderr }));
    }

    fn push(&self, notice: Notice) {
        // Counted before the send: the receiver may take it (and count it down) at once.
        self.shared.queued.fetch_add(1, Ordering::Relaxed);
        if self.tx.try_send(notice).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
            self.shared.progress.notice_dropped();
        }
    }

    /// The live counters.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.shared.progress
    }
}

impl NoticeReceiver {
    /// The next notice if one is waiting.
    pub fn try_next(&self) -> Option<Notice> {
        self.counted(self.rx.try_recv().ok())
    }

    /// The next notice, waiting at most `timeout`; `None` on timeout or when every sender is
    /// gone.
    pub fn next_timeout(&self, timeout: Duration) -> Option<Notice> {
        self.counted(self.rx.recv_timeout(timeout).ok())
    }

    fn counted(&self, notice: Option<Notice>) -> Option<Notice> {
        if notice.is_some() {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
        }
        notice
    }

    /// Whether every sender is gone and nothing is left.
    pub fn is_finished(&self) -> bool {
        matches!(self.rx.try_recv(), Err(mpsc::TryRecvError::Disconnected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_channel_drops_and_counts_instead_of_blocking() {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = channel(progress.clone());
        for i in 0..CAPACITY + 5 {
            tx.send(Notice::WorkerStarting(i));
        }
        assert_eq!(progress.dropped_notices(), 5);
        assert!(matches!(rx.try_next(), Some(Notice::WorkerStarting(0))));
        drop(tx);
        let mut left = 0;
        while rx.try_next().is_some() {
            left += 1;
        }
        assert_eq!(left, CAPACITY - 1);
        assert!(rx.is_finished());
    }

    /// A capture whose pipe is a list of pieces, each with the step it was printed at.
    struct Script(std::sync::mpsc::Receiver<(bool, Vec<u8>)>);

    impl PrintSource for Script {
        fn take(&mut self, sink: &mut dyn FnMut(bool, Vec<u8>)) {
            while let Ok((stderr, bytes)) = self.0.try_recv() {
                sink(stderr, bytes);
            }
        }
    }

    #[test]
    fn prints_come_before_the_notices_sent_after_them() {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = channel(progress);
        let (print, printed) = std::sync::mpsc::channel();
        assert!(tx.capture_prints(Box::new(Script(printed))));
        assert!(!tx.capture_prints(Box::new(Script(std::sync::mpsc::channel().1))));
        tx.send(Notice::WorkerStarting(0));
        print.send((false, b"setup\n".to_vec())).unwrap();
        print.send((true, b"oops".to_vec())).unwrap();
        tx.send(Notice::SettingUpSession(0));
        print.send((false, b"late".to_vec())).unwrap();
        tx.send_printed();
        let mut seen = Vec::new();
        while let Some(notice) = rx.try_next() {
            seen.push(match notice {
                Notice::WorkerStarting(_) => "starting".to_owned(),
                Notice::SettingUpSession(_) => "session".to_owned(),
                Notice::Printed { bytes, stderr } => {
                    format!(
                        "{}{}",
                        if stderr { "err:" } else { "" },
                        String::from_utf8(bytes).unwrap()
                    )
                }
                other => format!("{other:?}"),
            });
        }
        assert_eq!(seen, ["starting", "setup\n", "err:oops", "session", "late"]);
        assert_eq!(tx.shared.queued.load(Ordering::Relaxed), 0);
    }
}
