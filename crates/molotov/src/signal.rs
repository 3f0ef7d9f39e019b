//! Ctrl-C and SIGTERM: the first asks the run to stop gracefully, the second cancels the
//! scenarios still in flight (teardowns still run).

use molotov_core::{Shutdown, StopCause};

/// Watches for SIGINT and SIGTERM until the process ends; spawn it on the run's runtime.
pub(crate) async fn watch(shutdown: Shutdown) {
    let mut signals = Signals::new();
    signals.next().await;
    shutdown.stop(StopCause::Interrupted);
    signals.next().await;
    shutdown.abort(StopCause::Interrupted);
}

#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
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
        tokio::select! {
            () = recv(self.interrupt.as_mut()) => {}
            () = recv(self.terminate.as_mut()) => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Self {
        Signals
    }

    async fn next(&mut self) {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
