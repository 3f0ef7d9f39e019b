//! The GIL during a run: held by the engine's thread, released while that thread sleeps.
//!
//! A scenario run steps Python twice (the call, and the resumption with the response), so
//! taking and releasing the GIL around every step costs more than the steps' own bookkeeping.
//! Instead the thread that runs the engine keeps the GIL, and the runtime's park hooks release
//! it just before the thread blocks waiting for I/O or a timer, and take it back when it wakes.
//! Threads the script starts (`asyncio.to_thread`, executors) get the GIL then, or from
//! Python's own switch interval while scenarios run bytecode.

use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use molotov::{Forked, HostHooks};
use pyo3::ffi;
use pyo3::prelude::*;

/// Hooks that release the GIL while the engine's thread is parked, and fork through Python.
///
/// They must be installed on a runtime driven by a thread that holds the GIL (the caller of
/// `molotov._molotov.main`); tokio calls them in pairs on that thread, and no code of ours runs
/// on it between the two.
#[allow(
    unsafe_code,
    reason = "releasing and restoring the GIL around a park has no safe pyo3 equivalent"
)]
pub(crate) fn host_hooks() -> HostHooks {
    let saved: Arc<AtomicPtr<ffi::PyThreadState>> = Arc::new(AtomicPtr::new(ptr::null_mut()));
    let on_park = saved.clone();
    let on_unpark = saved;
    HostHooks {
        fork: Some(Arc::new(fork)),
        set_env: Some(Arc::new(set_env)),
        flush_output: Some(Arc::new(flush_output)),
        before_park: Some(Arc::new(move || {
            // SAFETY: this thread holds the GIL (see above); the thread state comes back to
            // PyEval_RestoreThread in `after_unpark` before any Python code runs here again.
            let state = unsafe { ffi::PyEval_SaveThread() };
            on_park.store(state, Ordering::Relaxed);
        })),
        after_unpark: Some(Arc::new(move || {
            let state = on_unpark.swap(ptr::null_mut(), Ordering::Relaxed);
            if !state.is_null() {
                // SAFETY: `state` is the thread state this thread released in `before_park`.
                unsafe { ffi::PyEval_RestoreThread(state) };
            }
        })),
    }
}

/// `sys.stdout.flush()` and `sys.stderr.flush()`: what the script printed without a newline
/// is written out before the summary.
fn flush_output() {
    Python::attach(|py| {
        let Ok(sys) = py.import("sys") else { return };
        for stream in ["stdout", "stderr"] {
            if let Ok(stream) = sys.getattr(stream) {
                // A stream that cannot be flushed (closed, replaced) has nothing to show.
                let _ = stream.call_method0("flush");
            }
        }
    });
}

/// Sets `os.environ[name] = value` (which also sets the process's environment), so the
/// script sees it however it reads it. Called before the script is imported.
fn set_env(name: &str, value: &str) {
    Python::attach(|py| {
        let set = py
            .import("os")
            .and_then(|os| os.getattr("environ"))
            .and_then(|environ| environ.set_item(name, value));
        if let Err(e) = set {
            e.print(py);
        }
    });
}

/// Forks with `os.fork()`, which keeps the interpreter consistent in the child (its locks, its
/// threads' states, `os.register_at_fork` handlers), after flushing Python's output buffers so
/// the children do not write the parent's pending output again.
fn fork() -> std::io::Result<Forked> {
    Python::attach(|py| -> PyResult<Forked> {
        let sys = py.import("sys")?;
        for stream in ["stdout", "stderr"] {
            if let Ok(stream) = sys.getattr(stream) {
                let _ = stream.call_method0("flush");
            }
        }
        let pid: i64 = py.import("os")?.call_method0("fork")?.extract()?;
        Ok(if pid == 0 {
            Forked::Child
        } else {
            Forked::Parent(u32::try_from(pid).unwrap_or(0))
        })
    })
    .map_err(std::io::Error::other)
}
