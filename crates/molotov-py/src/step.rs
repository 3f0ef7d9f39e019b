//! One step of a coroutine: send a value in, get back what it yielded, returned or raised.
//!
//! `PyIter_Send` is the C API that does this without turning a return into a `StopIteration`
//! exception; it has no safe pyo3 wrapper, hence the `unsafe` call here.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::{ffi, intern};

/// What a step of a coroutine produced.
pub(crate) enum Step<'py> {
    /// It is suspended and yielded this object (what it awaits).
    Yield(Bound<'py, PyAny>),
    /// It finished and returned this value.
    Return(Bound<'py, PyAny>),
    /// It raised.
    Raise(PyErr),
}

/// Resumes `coro` with `value` (`None` to start it or to resume after a plain yield).
#[allow(
    unsafe_code,
    reason = "PyIter_Send has no safe wrapper; the pointers come from live Bound references"
)]
pub(crate) fn send<'py>(coro: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> Step<'py> {
    let py = coro.py();
    let mut out: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: the GIL is held (we have `Bound`s), both pointers are live objects for the whole
    // call, and `out` is a valid place for the result pointer.
    let result = unsafe { ffi::PyIter_Send(coro.as_ptr(), value.as_ptr(), &raw mut out) };
    match result {
        // SAFETY: for NEXT and RETURN, `out` is a new (owned) reference to a live object.
        ffi::PySendResult::PYGEN_NEXT => Step::Yield(unsafe { Bound::from_owned_ptr(py, out) }),
        ffi::PySendResult::PYGEN_RETURN => Step::Return(unsafe { Bound::from_owned_ptr(py, out) }),
        ffi::PySendResult::PYGEN_ERROR => Step::Raise(PyErr::fetch(py)),
    }
}

/// Raises `error` inside `coro` at the point where it is suspended.
pub(crate) fn throw<'py>(coro: &Bound<'py, PyAny>, error: PyErr) -> Step<'py> {
    let py = coro.py();
    match coro.call_method1(intern!(py, "throw"), (error.into_value(py),)) {
        Ok(yielded) => Step::Yield(yielded),
        Err(e) if e.is_instance_of::<PyStopIteration>(py) => {
            let value = e.value(py).getattr(intern!(py, "value"));
            match value {
                Ok(value) => Step::Return(value),
                Err(e) => Step::Raise(e),
            }
        }
        Err(e) => Step::Raise(e),
    }
}
