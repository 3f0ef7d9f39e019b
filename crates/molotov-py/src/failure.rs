//! A Python exception as a counted failure: its class name is the kind in the statistics, its
//! message what the console shows, its user-code traceback the detail shown with `-v`; the
//! exception itself rides along for the `scenario_failure` event. And the other way: an HTTP
//! error of the engine as the Python exception a request raises.

use std::fmt::Write as _;

use molotov::http::Error;
use molotov::{BoxError, Failure};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bridge::Bridge;

/// Converts a Python exception into the engine's error.
pub(crate) fn from_pyerr(py: Python<'_>, bridge: &Bridge, error: PyErr) -> BoxError {
    // On Python < 3.12 the traceback is kept beside the exception, not on it: put it on the
    // value (`into_value` does), so `describe` and event handlers see `__traceback__`.
    let value = error.clone_ref(py).into_value(py);
    let described = py
        .import(intern!(py, "molotov._failure"))
        .and_then(|m| m.getattr(intern!(py, "describe")))
        .and_then(|describe| describe.call1((value, bridge.verbose)))
        .and_then(|d| d.extract::<(String, String, Option<String>)>());
    let (kind, message, detail) = described.unwrap_or_else(|_| {
        let kind = error
            .get_type(py)
            .name()
            .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
        (kind, error.to_string(), None)
    });
    let mut failure = Failure::new(kind, message).with_payload(error);
    if let Some(detail) = detail {
        failure = failure.with_detail(detail);
    }
    Box::new(failure)
}

/// The Python exception behind an engine error, if it came from Python.
pub(crate) fn exception(
    py: Python<'_>,
    error: &(dyn std::error::Error + 'static),
) -> Option<Py<PyAny>> {
    let failure = error.downcast_ref::<Failure>()?;
    let err = failure.payload::<PyErr>()?;
    Some(err.value(py).clone().into_any().unbind())
}

/// The exception for an HTTP error: aiohttp's class for its kind, with the full cause.
pub(crate) fn http_error(py: Python<'_>, bridge: &Bridge, error: &Error) -> PyErr {
    http_error_of(bridge.errors_by_kind.bind(py), error)
}

/// [`http_error`] with the classes of `molotov._errors.BY_KIND`.
pub(crate) fn http_error_of(by_kind: &Bound<'_, PyDict>, error: &Error) -> PyErr {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    let kind = error.kind_name();
    let class = by_kind.get_item(kind).ok().flatten();
    match class.map(|c| c.call1((message.clone(), kind))) {
        Some(Ok(exception)) => PyErr::from_value(exception),
        _ => PyValueError::new_err(message),
    }
}
