//! [`ScenarioTask`]: what `asyncio.current_task()` returns while the engine steps a coroutine.
//!
//! The engine drives scenario coroutines itself instead of wrapping each in an `asyncio.Task`
//! (a task per run would cost more than the rest of the run). Some asyncio features need the
//! current task, though: `asyncio.timeout()` cancels it when time is up. This object is that
//! task: it can be cancelled (the driver then raises `CancelledError` at the coroutine's
//! current `await`, dropping a request in flight), and keeps the cancel counts asyncio uses.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Waker;

use pyo3::intern;
use pyo3::prelude::*;

/// The cancellation state shared by a task and its driver.
#[derive(Default)]
pub(crate) struct Cancel {
    /// A cancellation to raise at the next step.
    pub(crate) requested: Option<Requested>,
    /// The asyncio future the coroutine waits for, if any (cancelled with the task).
    pub(crate) waiter: Option<Py<PyAny>>,
    /// The driver's waker, to resume it for the cancellation.
    pub(crate) waker: Option<Waker>,
    /// asyncio's count of cancellation requests not yet `uncancel`ed.
    pub(crate) count: i64,
}

/// A cancellation asked for, with its message (`task.cancel(msg)`).
pub(crate) struct Requested(pub(crate) Option<Py<PyAny>>);

/// The current task of a coroutine the engine drives.
#[pyclass(
    unsendable,
    freelist = 64,
    name = "ScenarioTask",
    module = "molotov._molotov"
)]
pub(crate) struct ScenarioTask {
    pub(crate) cancel: Rc<RefCell<Cancel>>,
    pub(crate) coro: Option<Py<PyAny>>,
    pub(crate) event_loop: Py<PyAny>,
}

#[pymethods]
impl ScenarioTask {
    /// Asks to cancel the coroutine at its current `await`.
    #[pyo3(signature = (msg = None))]
    fn cancel(&self, py: Python<'_>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let waiter = {
            let mut cancel = self.cancel.borrow_mut();
            cancel.count += 1;
            cancel.waiter.take()
        };
        // Waiting on an asyncio future: cancelling it raises CancelledError in the coroutine.
        if let Some(waiter) = waiter {
            if waiter
                .call_method1(
                    py,
                    intern!(py, "cancel"),
                    (msg.as_ref().map(|m| m.clone_ref(py)),),
                )?
                .is_truthy(py)?
            {
                return Ok(true);
            }
        }
        let mut cancel = self.cancel.borrow_mut();
        cancel.requested = Some(Requested(msg));
        if let Some(waker) = cancel.waker.take() {
            waker.wake();
        }
        Ok(true)
    }

    fn uncancel(&self) -> i64 {
        let mut cancel = self.cancel.borrow_mut();
        if cancel.count > 0 {
            cancel.count -= 1;
        }
        cancel.count
    }

    fn cancelling(&self) -> i64 {
        self.cancel.borrow().count
    }

    fn done(&self) -> bool {
        false
    }

    fn cancelled(&self) -> bool {
        false
    }

    fn get_coro(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.coro.as_ref().map(|c| c.clone_ref(py))
    }

    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn get_name(&self) -> &'static str {
        "molotov-scenario"
    }

    fn __repr__(&self) -> &'static str {
        "<ScenarioTask (driven by molotov)>"
    }
}
