//! What scenario code awaits: [`Pending`] (a request on its way) and [`Ready`] (a value already
//! there, such as `await resp.json()`).
//!
//! A `Pending` yields itself: the engine's coroutine driver recognises it, performs the request
//! in Rust and resumes the coroutine with the response. No asyncio future, no callback, no
//! thread hop. When a `Pending` is awaited inside a real asyncio task instead (`gather`,
//! `wait_for`, `create_task`), it behaves as an asyncio future: the task registers a done
//! callback, which starts the request on the engine's thread and calls back when it completes.

use std::rc::Rc;

use molotov::Session;
use molotov::http::Request;
use pyo3::exceptions::{
    PyRuntimeError, PyStopIteration, asyncio::CancelledError, asyncio::InvalidStateError,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::task::AbortHandle;

use crate::bridge::Bridge;
use crate::response;

/// An awaitable whose value is already known.
#[pyclass(frozen, freelist = 64, module = "molotov._molotov")]
pub(crate) struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub(crate) fn new(value: Option<Py<PyAny>>) -> Self {
        Ready { value }
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match &self.value {
            Some(value) => Err(PyStopIteration::new_err((value.clone_ref(py),))),
            None => Ok(None),
        }
    }
}

/// A request to send: what the session built from the script's call.
pub(crate) struct Job {
    pub(crate) session: Session,
    pub(crate) request: Request,
    pub(crate) name: Option<String>,
    /// `raise_for_status=True`: a 4xx or 5xx response raises.
    pub(crate) raise_for_status: bool,
}

impl Job {
    /// Sends the request on the worker's session.
    pub(crate) async fn send(self) -> Result<molotov::Response, molotov::http::Error> {
        self.session.send(&self.request, self.name.as_deref()).await
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Done,
    Cancelled,
}

/// A request the script awaits; also an `async with` context manager and, inside asyncio
/// tasks, an asyncio future.
#[pyclass(unsendable, freelist = 64, module = "molotov._molotov")]
pub(crate) struct Pending {
    /// The request, until someone starts it.
    job: Option<Job>,
    /// The response or the exception, once known.
    outcome: Option<PyResult<Py<PyAny>>>,
    state: State,
    bridge: Rc<Bridge>,
    /// asyncio's `_asyncio_future_blocking`; `None` until the request is first awaited, so
    /// that `asyncio.isfuture()` is false for a fresh request and `ensure_future()` (hence
    /// `gather`, `wait_for`, `shield`) wraps it in a task, as it does aiohttp's requests.
    blocking: Option<bool>,
    /// Done callbacks registered by asyncio tasks: `(callback, context)`.
    callbacks: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
    /// The request's task when it runs on the asyncio path.
    running: Option<AbortHandle>,
    raise_for_status: bool,
}

impl Pending {
    pub(crate) fn new(job: Job, bridge: Rc<Bridge>) -> Self {
        Pending {
            raise_for_status: job.raise_for_status,
            job: Some(job),
            outcome: None,
            state: State::Waiting,
            bridge,
            blocking: None,
            callbacks: Vec::new(),
            running: None,
        }
    }

    /// For the driver: the request to perform, if nobody started it yet.
    pub(crate) fn take_job(&mut self) -> Option<Job> {
        self.job.take()
    }

    /// Turns the engine's result into the response (or exception) and completes with it.
    pub(crate) fn answer(
        slf: &Bound<'_, Self>,
        result: Result<molotov::Response, molotov::http::Error>,
    ) -> PyResult<()> {
        let py = slf.py();
        let (bridge, raise_for_status) = {
            let this = slf.borrow();
            (this.bridge.clone(), this.raise_for_status)
        };
        let mut outcome = response::to_python(py, &bridge, result);
        if raise_for_status {
            if let Ok(response) = &outcome {
                if let Err(e) = response.call_method0(py, "raise_for_status") {
                    outcome = Err(e);
                }
            }
        }
        Pending::complete(slf, outcome)
    }

    /// Stores the outcome and runs the done callbacks (through the loop, as asyncio does).
    pub(crate) fn complete(slf: &Bound<'_, Self>, outcome: PyResult<Py<PyAny>>) -> PyResult<()> {
        let callbacks = {
            let mut this = slf.borrow_mut();
            if this.state != State::Waiting {
                return Ok(());
            }
            this.outcome = Some(outcome);
            this.state = State::Done;
            this.running = None;
            std::mem::take(&mut this.callbacks)
        };
        schedule(slf, callbacks)
    }

    fn result_value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match (&self.state, &self.outcome) {
            (State::Cancelled, _) => Err(CancelledError::new_err("the request was cancelled")),
            (_, Some(Ok(value))) => Ok(value.clone_ref(py)),
            (_, Some(Err(e))) => Err(e.clone_ref(py)),
            (_, None) => Err(InvalidStateError::new_err("the response is not there yet")),
        }
    }

    /// Starts the request as its own task on the engine's thread (the asyncio path).
    fn start(slf: &Bound<'_, Self>) {
        let Some(job) = slf.borrow_mut().job.take() else {
            return;
        };
        let pending = slf.clone().unbind();
        let task = tokio::task::spawn_local(async move {
            let result = job.send().await;
            Python::attach(|py| {
                // A failure to schedule callbacks leaves the loop broken; nothing else to do.
                let _ = Pending::answer(pending.bind(py), result);
            });
        });
        slf.borrow_mut().running = Some(task.abort_handle());
    }
}

fn schedule(
    slf: &Bound<'_, Pending>,
    callbacks: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
) -> PyResult<()> {
    if callbacks.is_empty() {
        return Ok(());
    }
    let py = slf.py();
    let bridge = slf.borrow().bridge.clone();
    let event_loop = bridge.event_loop(py)?.bind(py);
    for (callback, context) in callbacks {
        let kwargs = PyDict::new(py);
        if let Some(context) = context {
            kwargs.set_item("context", context)?;
        }
        event_loop.call_method("call_soon", (callback, slf), Some(&kwargs))?;
    }
    Ok(())
}

#[pymethods]
impl Pending {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Yields itself until the outcome is there, then returns it (or raises it).
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let mut this = slf.borrow_mut();
        if this.state == State::Cancelled {
            return Err(CancelledError::new_err("the request was cancelled"));
        }
        match this.outcome.take() {
            Some(Ok(value)) => Err(PyStopIteration::new_err((value,))),
            Some(Err(e)) => Err(e),
            // Done, and its outcome already given to the first `await`: awaiting it again
            // would wait forever (aiohttp raises the same error).
            None if this.state == State::Done => Err(PyRuntimeError::new_err(
                "cannot reuse already awaited request",
            )),
            None => {
                this.blocking = Some(true);
                Ok(Some(slf.clone().into_any().unbind()))
            }
        }
    }

    fn send(slf: &Bound<'_, Self>, _value: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        Pending::__next__(slf)
    }

    fn __aenter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> Py<Ready> {
        self.bridge.ready_none.clone_ref(py)
    }

    // The asyncio future protocol, for asyncio tasks awaiting a request.

    #[getter(_asyncio_future_blocking)]
    fn get_blocking(&self) -> Option<bool> {
        self.blocking
    }

    #[setter(_asyncio_future_blocking)]
    fn set_blocking(&mut self, value: bool) {
        self.blocking = Some(value);
    }

    fn get_loop(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.bridge.event_loop(py).map(|l| l.clone_ref(py))
    }

    fn done(&self) -> bool {
        self.state != State::Waiting
    }

    fn cancelled(&self) -> bool {
        self.state == State::Cancelled
    }

    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.result_value(py)
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self.result_value(py) {
            Ok(_) => Ok(None),
            Err(e) if e.is_instance_of::<CancelledError>(py) => Err(e),
            Err(e) => Ok(Some(e.into_value(py).into_any())),
        }
    }

    #[pyo3(signature = (callback, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        callback: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        if slf.borrow().state != State::Waiting {
            return schedule(slf, vec![(callback, context)]);
        }
        slf.borrow_mut().callbacks.push((callback, context));
        Pending::start(slf);
        Ok(())
    }

    fn remove_done_callback(&mut self, py: Python<'_>, callback: &Bound<'_, PyAny>) -> usize {
        let before = self.callbacks.len();
        self.callbacks
            .retain(|(c, _)| !c.bind(py).eq(callback).unwrap_or(false));
        before - self.callbacks.len()
    }

    /// What asyncio (`gather`) raises for a cancelled future.
    fn _make_cancelled_error(&self) -> PyErr {
        CancelledError::new_err("the request was cancelled")
    }

    // The coroutine protocol: asyncio.create_task() and TaskGroup.create_task() take a
    // request, as with aiohttp (whose request context managers are coroutines).

    /// Raises `typ` (or `val`) where the request is awaited; the request is abandoned.
    #[pyo3(signature = (typ, val = None, tb = None))]
    fn throw(
        slf: &Bound<'_, Self>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = tb;
        Pending::cancel(slf, None)?;
        Err(match val {
            Some(val) if !val.is_none() => PyErr::from_value(val.clone()),
            _ => PyErr::from_value(typ.clone()),
        })
    }

    /// Abandons the request.
    fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        Pending::cancel(slf, None).map(drop)
    }

    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let _ = msg;
        let callbacks = {
            let mut this = slf.borrow_mut();
            if this.state != State::Waiting {
                return Ok(false);
            }
            if let Some(task) = this.running.take() {
                task.abort();
            }
            this.job = None;
            this.state = State::Cancelled;
            std::mem::take(&mut this.callbacks)
        };
        schedule(slf, callbacks)?;
        Ok(true)
    }
}
