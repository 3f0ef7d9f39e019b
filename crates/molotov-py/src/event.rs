//! `@events()` handlers as an engine listener: each event becomes Molotov's keyword arguments
//! and every handler coroutine is awaited in turn, inline, as Molotov does.
//!
//! The request object of `sending_request` is the same Python object in the matching
//! `response_received`, so handlers can key a dict by it (Molotov's average-time example).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use molotov::{BoxError, Event, Listener, Reaction, Request};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::bridge::Bridge;
use crate::coroutine::Driven;
use crate::failure;
use crate::response::PyResponse;
use crate::session::PySession;

/// The Python event handlers of a run.
pub(crate) struct PyListener {
    handlers: Rc<Vec<Py<PyAny>>>,
    bridge: Rc<Bridge>,
    /// Scenario dicts by name, as Molotov passes them (`scenario["name"]`).
    scenarios: HashMap<String, Py<PyAny>>,
    /// Request objects of requests in flight, by the address of the engine's request.
    requests: RefCell<HashMap<usize, Py<PyRequest>>>,
}

impl PyListener {
    pub(crate) fn new(
        py: Python<'_>,
        handlers: Bound<'_, PyList>,
        bridge: &Rc<Bridge>,
        scenarios: &Bound<'_, PyList>,
    ) -> PyResult<PyListener> {
        let mut by_name = HashMap::new();
        for scenario in scenarios.iter() {
            by_name.insert(scenario.get_item("name")?.extract()?, scenario.unbind());
        }
        let _ = py;
        Ok(PyListener {
            handlers: Rc::new(handlers.iter().map(Bound::unbind).collect()),
            bridge: bridge.clone(),
            scenarios: by_name,
            requests: RefCell::default(),
        })
    }

    /// The Python request of `sending_request`, and the same object again for the
    /// `response_received` of that request.
    fn request_object(
        &self,
        py: Python<'_>,
        request: &Request,
        sending: bool,
    ) -> PyResult<Py<PyRequest>> {
        let key = std::ptr::from_ref(request) as usize;
        let mut requests = self.requests.borrow_mut();
        if sending {
            // Always a new object: one left at this address belonged to an earlier request
            // that got no response (it failed or was cancelled), and is dropped here.
            let object = Py::new(py, PyRequest::from(request))?;
            requests.insert(key, object.clone_ref(py));
            return Ok(object);
        }
        match requests.remove(&key) {
            Some(object) => Ok(object),
            None => Py::new(py, PyRequest::from(request)),
        }
    }

    /// The event's Molotov name and keyword arguments; `None` for events Molotov lacks.
    fn kwargs<'py>(
        &self,
        py: Python<'py>,
        event: &Event<'_>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let kwargs = PyDict::new(py);
        match *event {
            Event::SendingRequest { session, request } => {
                kwargs.set_item("session", PySession::attach(py, session, &self.bridge)?)?;
                kwargs.set_item("request", self.request_object(py, request, true)?)?;
            }
            Event::ResponseReceived {
                session,
                request,
                response,
            } => {
                kwargs.set_item("session", PySession::attach(py, session, &self.bridge)?)?;
                kwargs.set_item("request", self.request_object(py, request, false)?)?;
                let response = PyResponse::new(response.clone(), self.bridge.clone());
                kwargs.set_item("response", Py::new(py, response)?)?;
            }
            Event::CurrentWorkers { workers } => kwargs.set_item("workers", workers)?,
            Event::ScenarioStart { scenario, worker }
            | Event::ScenarioSuccess { scenario, worker } => {
                kwargs.set_item("scenario", self.scenarios.get(scenario.name()))?;
                kwargs.set_item("wid", worker)?;
            }
            Event::ScenarioFailure {
                scenario,
                worker,
                error,
            } => {
                kwargs.set_item("scenario", self.scenarios.get(scenario.name()))?;
                let exception = failure::exception(py, error).unwrap_or_else(|| {
                    pyo3::exceptions::PyException::new_err(error.to_string())
                        .into_value(py)
                        .into_any()
                });
                kwargs.set_item("exception", exception)?;
                kwargs.set_item("wid", worker)?;
            }
            _ => return Ok(None),
        }
        Ok(Some(kwargs))
    }
}

impl Listener for PyListener {
    fn on_event(&self, event: &Event<'_>) -> Reaction {
        let name = event.name();
        let kwargs = Python::attach(|py| self.kwargs(py, event).map(|k| k.map(Bound::unbind)));
        let kwargs = match kwargs {
            Ok(Some(kwargs)) => Rc::new(kwargs),
            Ok(None) => return Reaction::Done,
            Err(e) => {
                return Reaction::Failed(Python::attach(|py| {
                    failure::from_pyerr(py, &self.bridge, e)
                }));
            }
        };
        let (handlers, bridge) = (self.handlers.clone(), self.bridge.clone());
        let mut all = Box::pin(async move {
            for index in 0..handlers.len() {
                let (handlers, kwargs) = (handlers.clone(), kwargs.clone());
                let start = Box::new(move |py: Python<'_>| {
                    handlers[index].call(py, (name,), Some(kwargs.bind(py)))
                });
                Driven::new(start, bridge.clone(), false).await?;
            }
            Ok::<(), BoxError>(())
        });
        // Handlers rarely wait for anything: run them now, and hand over only if one does.
        match all.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => Reaction::Done,
            Poll::Ready(Err(e)) => Reaction::Failed(e),
            Poll::Pending => Reaction::Later(all),
        }
    }
}

/// The request passed to `sending_request` and `response_received`.
#[pyclass(frozen, name = "ClientRequest", module = "molotov._molotov")]
pub(crate) struct PyRequest {
    #[pyo3(get)]
    method: String,
    #[pyo3(get)]
    url: String,
    headers: Vec<(String, String)>,
    #[pyo3(get)]
    body: Vec<u8>,
}

impl From<&Request> for PyRequest {
    fn from(request: &Request) -> Self {
        PyRequest {
            method: request.method.to_string(),
            url: request.url.to_string(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: request.body.to_vec(),
        }
    }
}

#[pymethods]
impl PyRequest {
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in &self.headers {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!("<ClientRequest({} {})>", self.method, self.url)
    }
}
