//! The process's asyncio loop, run by the engine as a background task.
//!
//! The loop (`molotov._loop.Loop`, a real `SelectorEventLoop`) never blocks: this task runs
//! one non-blocking iteration, then waits in tokio until there is something to do: the
//! selector's file descriptor is readable (I/O of asyncio libraries, a callback from another
//! thread through the loop's self-pipe), the next timer is due, or a callback was scheduled
//! from this thread (the loop's `call_soon`/`call_at` notify [`Bridge::wake`]). A run that uses
//! no asyncio feature never wakes it.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use molotov::Shutdown;
use pyo3::intern;
use pyo3::prelude::*;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::bridge::Bridge;

/// Our own duplicate of the selector's descriptor (an epoll instance), so it stays valid for
/// as long as tokio watches it, whatever the loop does with its own.
#[allow(
    unsafe_code,
    reason = "tokio's fd registration and borrowing a raw fd are unsafe; both are justified below"
)]
fn watch(fd: RawFd) -> std::io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: `fd` was just returned by the loop's selector, which is open and stays open
    // during this call (the loop is alive: the bridge holds it).
    let owned = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
    // SAFETY: `owned` is a valid descriptor that this `AsyncFd` owns for its whole life.
    unsafe { AsyncFd::register_with_interest(owned, Interest::READABLE) }.map_err(Into::into)
}

/// Makes the loop the running loop while the run lasts, and undoes it when dropped.
struct Running(Rc<Bridge>);

impl Drop for Running {
    fn drop(&mut self) {
        Python::attach(|py| {
            if let Some(event_loop) = self.0.made_loop() {
                let _ = event_loop.call_method0(py, intern!(py, "_molotov_stop"));
            }
        });
    }
}

/// Runs the loop until the run ends (the engine drops this future).
pub(crate) async fn drive(bridge: Rc<Bridge>, _shutdown: Shutdown) {
    let fd = Python::attach(|py| -> PyResult<RawFd> {
        let event_loop = bridge.event_loop(py)?;
        event_loop.call_method0(py, intern!(py, "_molotov_start"))?;
        event_loop
            .call_method0(py, intern!(py, "_molotov_fd"))?
            .extract(py)
    });
    let _running = Running(bridge.clone());
    let Ok(fd) = fd else { return };
    let Ok(selector) = watch(fd) else {
        return;
    };
    loop {
        let next = Python::attach(|py| {
            bridge
                .event_loop(py)
                .and_then(|l| l.call_method0(py, intern!(py, "_molotov_run_once")))
                .and_then(|wait| wait.extract::<Option<f64>>(py))
                // An exception escaping the loop itself: log-worthy, but keep the loop alive.
                .unwrap_or(Some(0.01))
        });
        let timer = next.and_then(|s| Duration::try_from_secs_f64(s).ok());
        tokio::select! {
            () = bridge.wake.notified() => {}
            ready = selector.readable() => {
                if let Ok(mut guard) = ready {
                    guard.clear_ready();
                }
            }
            () = sleep_or_never(timer) => {}
        }
    }
}

async fn sleep_or_never(timer: Option<Duration>) {
    match timer {
        Some(d) if d.is_zero() => tokio::task::yield_now().await,
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
