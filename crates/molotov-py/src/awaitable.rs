//! What scenario code awaits: [`Pending`] (I/O on its way: a request, or a read of a
//! response body) and [`Ready`] (a value already there, such as `await resp.json()` of a body
//! that came whole).
//!
//! A `Pending` yields itself: the engine's coroutine driver recognises it, performs its [`Job`]
//! in Rust and resumes the coroutine with the outcome. No asyncio future, no callback, no
//! thread hop. When a `Pending` is awaited inside a real asyncio task instead (`gather`,
//! `wait_for`, `create_task`), it behaves as an asyncio future: the task registers a done
//! callback, which starts the job on the engine's thread and calls back when it completes.
//!
//! A job runs as a Rust future without the GIL ([`Job::run`]) and gives a [`Done`], which
//! [`Pending::answer`] turns into Python with the GIL: every kind of I/O a script awaits goes
//! through this one path.

use std::rc::Rc;
use std::time::Duration;

use molotov::Session;
use molotov::http::Request;
use pyo3::exceptions::{
    PyRuntimeError, PyStopIteration, asyncio::CancelledError, asyncio::InvalidStateError,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::task::AbortHandle;

use crate::body::{EAGER, Got, Read, ReadError};
use crate::bridge::Bridge;
use crate::failure::http_error;
use crate::response::PyResponse;

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

/// The I/O a [`Pending`] stands for.
#[allow(
    clippy::large_enum_variant,
    reason = "a request is the hot path: boxing it would cost an allocation per request"
)]
pub(crate) enum Job {
    /// A request to send.
    Send(Send),
    /// A read of a response body that was not complete with its head.
    Read(Read),
    /// WebSocket I/O: open, send, receive, close.
    Ws(Box<crate::websocket::WsJob>),
}

/// A request to send: what the session built from the script's call.
pub(crate) struct Send {
    pub(crate) session: Session,
    pub(crate) request: Request,
    pub(crate) name: Option<String>,
    /// `raise_for_status=True`: a 4xx or 5xx response raises.
    pub(crate) raise_for_status: bool,
}

/// What a job did, to turn into Python.
#[allow(
    clippy::large_enum_variant,
    reason = "a response is the hot path: boxing it would cost an allocation per request"
)]
pub(crate) enum Done {
    Sent {
        result: Result<molotov::Response, molotov::http::Error>,
        raise_for_status: bool,
        /// The request's timeout, which also bounds reading the rest of the body.
        timeout: Option<Duration>,
    },
    Read(Read, Result<Got, ReadError>),
    Ws(Box<crate::websocket::WsDone>),
}

impl Job {
    /// Performs the I/O on the worker's thread, without the GIL. A request reads its head and
    /// at most [`EAGER`] bytes of its body; the rest is read by later jobs, as asked.
    pub(crate) async fn run(self) -> Done {
        match self {
            Job::Send(send) => {
                let result = send
                    .session
                    .send_streamed(&send.request, send.name.as_deref(), EAGER)
                    .await;
                let timeout = match &result {
                    Ok(response) if !response.is_complete() => {
                        send.request
                            .timeout
                            .or(send.session.client().config().timeout)
                    }
                    _ => None,
                };
                Done::Sent {
                    result,
                    raise_for_status: send.raise_for_status,
                    timeout,
                }
            }
            Job::Read(read) => {
                let result = read.run().await;
                Done::Read(read, result)
            }
            Job::Ws(job) => Done::Ws(Box::new(job.run().await)),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Done,
    Cancelled,
}

/// I/O the script awaits (a request, a read of a body); a request is also an `async with`
/// context manager. Inside asyncio tasks, an asyncio future.
#[pyclass(unsendable, freelist = 64, module = "molotov._molotov")]
pub(crate) struct Pending {
    /// The job, until someone starts it.
    job: Option<Job>,
    /// The response (or value) or the exception, once known.
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
    /// A response whose body was not complete with its head: leaving `async with` releases
    /// it.
    streamed: Option<Py<PyResponse>>,
}

impl Pending {
    pub(crate) fn new(job: Job, bridge: Rc<Bridge>) -> Self {
        Pending {
            job: Some(job),
            outcome: None,
            state: State::Waiting,
            bridge,
            blocking: None,
            callbacks: Vec::new(),
            running: None,
            streamed: None,
        }
    }

    /// For the driver: the job to perform, if nobody started it yet.
    pub(crate) fn take_job(&mut self) -> Option<Job> {
        self.job.take()
    }

    /// Turns what the job did into Python (a response, a value or an exception) and completes
    /// with it.
    pub(crate) fn answer(slf: &Bound<'_, Self>, done: Done) -> PyResult<()> {
        let py = slf.py();
        let outcome = match done {
            Done::Sent {
                result,
                raise_for_status,
                timeout,
            } => {
                let bridge = slf.borrow().bridge.clone();
                Pending::response(slf, &bridge, result, raise_for_status, timeout)
            }
            Done::Read(read, result) => PyResponse::answer_read(py, read, result),
            Done::Ws(done) => {
                let bridge = slf.borrow().bridge.clone();
                crate::websocket::WsJob::answer(py, &bridge, *done)
            }
        };
        Pending::complete(slf, outcome)
    }

    /// The response to a request, or its exception.
    fn response(
        slf: &Bound<'_, Self>,
        bridge: &Rc<Bridge>,
        result: Result<molotov::Response, molotov::http::Error>,
        raise_for_status: bool,
        timeout: Option<Duration>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let response = match result {
            Ok(response) => response,
            Err(error) => return Err(http_error(py, bridge, &error)),
        };
        let streamed = !response.is_complete();
        let response = Py::new(
            py,
            PyResponse::from_engine(response, bridge.clone(), timeout),
        )?;
        if streamed {
            slf.borrow_mut().streamed = Some(response.clone_ref(py));
        }
        if raise_for_status {
            response.bind(py).borrow_mut().raise_for_status(py)?;
        }
        Ok(response.into_any())
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
            let done = job.run().await;
            Python::attach(|py| {
                // A failure to schedule callbacks leaves the loop broken; nothing else to do.
                let _ = Pending::answer(pending.bind(py), done);
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

    /// Leaving `async with session.get(...)` releases the response, as in aiohttp: what is
    /// left of its body unread is dropped (its connection closed).
    #[pyo3(signature = (*_args))]
    fn __aexit__(&mut self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> Py<Ready> {
        if let Some(response) = self.streamed.take() {
            if let Ok(mut response) = response.bind(py).try_borrow_mut() {
                response.release_body();
            }
        }
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
