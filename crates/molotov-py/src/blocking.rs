//! Molotov's synchronous `request()` / `json_request()`, for fixtures that are not coroutines.

use molotov::{Session, SessionOptions, blocking_request};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{failure, options};

/// `request(endpoint, verb, session_options, options)` → `{"content": str, "status": int,
/// "headers": dict}`. The GIL is released while waiting.
#[pyfunction]
#[pyo3(signature = (endpoint, verb = "GET", session_options = None, options = None, connect_to = Vec::new()))]
pub(crate) fn request<'py>(
    py: Python<'py>,
    endpoint: &str,
    verb: &str,
    session_options: Option<&Bound<'py, PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
    connect_to: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut session_options = match session_options {
        Some(value) => options::session_options(value)?,
        None => SessionOptions::default(),
    };
    // The run's --connect-to applies here too, as it does to the workers' sessions.
    for rule in connect_to {
        session_options
            .connect_to
            .push(rule.parse().map_err(PyValueError::new_err)?);
    }
    // A detached session only resolves the URL and builds the request; nothing is sent on it.
    let builder = Session::detached(session_options.clone());
    let args = options::request(&builder, verb, endpoint, options)?;
    let response = py
        .detach(|| blocking_request(args.request, session_options))
        .map_err(|e| {
            // aiohttp's exception classes, as for the session's requests.
            match py
                .import("molotov._errors")
                .and_then(|m| m.getattr("BY_KIND"))
                .and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from))
            {
                Ok(by_kind) => failure::http_error_of(&by_kind, &e),
                Err(_) => PyValueError::new_err(e.to_string()),
            }
        })?;
    let headers = PyDict::new(py);
    for (name, value) in &response.headers {
        headers.set_item(name, value)?;
    }
    let result = PyDict::new(py);
    result.set_item("content", response.text())?;
    result.set_item("status", response.status)?;
    result.set_item("headers", headers)?;
    Ok(result)
}
