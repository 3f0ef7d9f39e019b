//! [`Bridge`]: the Python objects a run needs at hand, looked up once when the script is loaded
//! (the event loop, the exception classes, `json.loads`, the `args` namespace...), so the hot
//! path never imports or searches a module.

use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::Notify;

use crate::awaitable::Ready;

/// Python objects shared by every session, scenario and fixture of the run.
pub(crate) struct Bridge {
    /// The asyncio loop the engine drives (`molotov._loop.Loop`, or uvloop's with `--uvloop`),
    /// made on first use: in the process that runs the workers, never before a fork (a
    /// selector or libuv loop shared by several processes would mix up their I/O).
    event_loop: OnceCell<Py<PyAny>>,
    /// What the loop is made with: the waker it calls, uvloop or not, debug mode or not.
    loop_waker: Py<LoopWaker>,
    uvloop: bool,
    debug: bool,
    /// Woken when the loop has new callbacks or timers (see `aioloop`).
    pub(crate) wake: Arc<Notify>,
    /// `json.loads`.
    pub(crate) json_loads: Py<PyAny>,
    /// `json`'s scanner (`scan_once(text, index) -> (value, end)`), for the fast path of
    /// `resp.json()`.
    pub(crate) json_scan: Py<PyAny>,
    /// `molotov._errors.BY_KIND`: the exception class for each HTTP error kind.
    pub(crate) errors_by_kind: Py<PyDict>,
    /// `molotov._errors.ContentTypeError` and `ClientResponseError`.
    pub(crate) content_type_error: Py<PyAny>,
    pub(crate) response_error: Py<PyAny>,
    /// Molotov's `args`: an `argparse.Namespace` of the options.
    pub(crate) args: Py<PyAny>,
    /// A completed awaitable of `None`, shared (it holds no state).
    pub(crate) ready_none: Py<Ready>,
    /// `molotov._loop.ready`: `ready(value)` is a coroutine returning `value`.
    pub(crate) ready: Py<PyAny>,
    /// `asyncio.tasks._enter_task` and `_leave_task`: make a driven coroutine's task current.
    pub(crate) enter_task: Py<PyAny>,
    pub(crate) leave_task: Py<PyAny>,
    /// `-v`: tracebacks are formatted for failures.
    pub(crate) verbose: u8,
    /// `yarl.URL` when it is installed (with aiohttp): `response.url` is one, as in aiohttp.
    pub(crate) url_class: Option<Py<PyAny>>,
    /// `molotov._streams.StreamReader`: what `resp.content` is.
    pub(crate) stream_reader: Py<PyAny>,
    /// `molotov._bodies.PayloadRequest`: a request whose body aiohttp's payload machinery
    /// makes first.
    pub(crate) payload_request: Py<PyAny>,
}

impl Bridge {
    pub(crate) fn new(
        py: Python<'_>,
        args: Py<PyAny>,
        verbose: u8,
        uvloop: bool,
        debug: bool,
    ) -> PyResult<Rc<Bridge>> {
        let wake = Arc::new(Notify::new());
        let loop_waker = Py::new(py, LoopWaker { wake: wake.clone() })?;
        let errors = py.import("molotov._errors")?;
        let tasks = py.import("asyncio.tasks")?;
        Ok(Rc::new(Bridge {
            event_loop: OnceCell::new(),
            loop_waker,
            uvloop,
            debug,
            wake,
            json_loads: py.import("json")?.getattr("loads")?.unbind(),
            json_scan: py
                .import("json.scanner")?
                .getattr("make_scanner")?
                .call1((py.import("json.decoder")?.getattr("JSONDecoder")?.call0()?,))?
                .unbind(),
            errors_by_kind: errors.getattr("BY_KIND")?.cast_into::<PyDict>()?.unbind(),
            content_type_error: errors.getattr("ContentTypeError")?.unbind(),
            response_error: errors.getattr("ClientResponseError")?.unbind(),
            args,
            enter_task: tasks.getattr("_enter_task")?.unbind(),
            leave_task: tasks.getattr("_leave_task")?.unbind(),
            ready_none: Py::new(py, Ready::new(None))?,
            ready: py.import("molotov._loop")?.getattr("ready")?.unbind(),
            verbose,
            url_class: py
                .import("yarl")
                .and_then(|yarl| yarl.getattr("URL"))
                .ok()
                .map(Bound::unbind),
            stream_reader: py
                .import("molotov._streams")?
                .getattr("StreamReader")?
                .unbind(),
            payload_request: py
                .import("molotov._bodies")?
                .getattr("PayloadRequest")?
                .unbind(),
        }))
    }
}

impl Bridge {
    /// The run's asyncio loop, made on first use.
    pub(crate) fn event_loop(&self, py: Python<'_>) -> PyResult<&Py<PyAny>> {
        if let Some(event_loop) = self.event_loop.get() {
            return Ok(event_loop);
        }
        let made = py
            .import("molotov._loop")?
            .call_method1("make", (self.loop_waker.clone_ref(py), self.uvloop))?;
        if self.debug {
            made.call_method1("set_debug", (true,))?;
        }
        Ok(self.event_loop.get_or_init(|| made.unbind()))
    }

    /// The loop, if one was made.
    pub(crate) fn made_loop(&self) -> Option<&Py<PyAny>> {
        self.event_loop.get()
    }
}

/// What the Python loop calls when it schedules a callback or a timer from the engine's
/// thread (`call_soon`, `call_at`), so the engine runs it.
#[pyclass(frozen, module = "molotov._molotov")]
pub(crate) struct LoopWaker {
    wake: Arc<Notify>,
}

#[pymethods]
impl LoopWaker {
    fn __call__(&self) {
        self.wake.notify_one();
    }
}
