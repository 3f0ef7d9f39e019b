//! The response scripts get, shaped like aiohttp's `ClientResponse`, and its headers, shaped
//! like a case-insensitive multidict. Both read the Rust response in place; Python objects are
//! made only for what the script asks for.

use std::fmt::Write as _;
use std::rc::Rc;

use molotov::http::Headers;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::awaitable::Ready;
use crate::bridge::Bridge;

/// Turns the engine's result into what `await session.get(...)` returns or raises.
pub(crate) fn to_python(
    py: Python<'_>,
    bridge: &Rc<Bridge>,
    result: Result<molotov::Response, molotov::http::Error>,
) -> PyResult<Py<PyAny>> {
    match result {
        Ok(response) => Ok(Py::new(py, PyResponse::new(response, bridge.clone()))?.into_any()),
        Err(error) => Err(http_error(py, bridge, &error)),
    }
}

/// The exception for an HTTP error: aiohttp's class for its kind, with the full cause.
pub(crate) fn http_error(py: Python<'_>, bridge: &Bridge, error: &molotov::http::Error) -> PyErr {
    http_error_of(bridge.errors_by_kind.bind(py), error)
}

/// [`http_error`] with the classes of `molotov._errors.BY_KIND`.
pub(crate) fn http_error_of(by_kind: &Bound<'_, PyDict>, error: &molotov::http::Error) -> PyErr {
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

/// Parses an ASCII JSON document with `json`'s C scanner directly, skipping what `json.loads`
/// adds around it (encoding detection, decoding, two regular-expression matches): the same
/// objects for a fraction of the cost. `None` means "use `json.loads`" (non-ASCII text, or a
/// document it rejects, so the error is `json.loads`'s own).
fn scan_json<'py>(py: Python<'py>, bridge: &Bridge, body: &[u8]) -> Option<Bound<'py, PyAny>> {
    if !body.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let start = text.len() - text.trim_ascii_start().len();
    let scanned = bridge.json_scan.call1(py, (text, start)).ok()?;
    let (value, end): (Bound<'py, PyAny>, usize) = scanned.extract(py).ok()?;
    // For ASCII, the scanner's character index is a byte index.
    text.get(end..)?.trim_ascii().is_empty().then_some(value)
}

/// A complete response (the body has been read).
#[pyclass(
    unsendable,
    freelist = 64,
    name = "ClientResponse",
    module = "molotov._molotov"
)]
pub(crate) struct PyResponse {
    inner: molotov::Response,
    bridge: Rc<Bridge>,
    headers: Option<Py<PyHeaders>>,
}

impl PyResponse {
    pub(crate) fn new(inner: molotov::Response, bridge: Rc<Bridge>) -> Self {
        PyResponse {
            inner,
            bridge,
            headers: None,
        }
    }

    /// An awaitable of `value`: a coroutine that returns it at once (awaiting a coroutine
    /// costs no `StopIteration`, unlike an iterator).
    fn ready(&self, py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bridge.ready.call1(py, (value,))
    }

    fn decode(&self, encoding: Option<&str>) -> PyResult<String> {
        let body = self.inner.body();
        match encoding.map(str::to_ascii_lowercase).as_deref() {
            None | Some("utf-8" | "utf8" | "ascii") => {
                Ok(String::from_utf8_lossy(body).into_owned())
            }
            Some("latin-1" | "latin1" | "iso-8859-1") => {
                Ok(body.iter().map(|&b| char::from(b)).collect())
            }
            Some(other) => Err(PyValueError::new_err(format!(
                "unsupported encoding {other:?}"
            ))),
        }
    }
}

#[pymethods]
impl PyResponse {
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    #[getter]
    fn reason(&self) -> &str {
        self.inner.reason()
    }

    #[getter]
    fn ok(&self) -> bool {
        self.inner.status().as_u16() < 400
    }

    /// The final URL: a `yarl.URL` when yarl is installed (as in aiohttp), else a `str`.
    #[getter]
    fn url(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let text = PyString::new(py, self.inner.url().as_str());
        match &self.bridge.url_class {
            Some(class) => {
                let kwargs = PyDict::new(py);
                kwargs.set_item("encoded", true)?;
                class.call(py, (text,), Some(&kwargs))
            }
            None => Ok(text.into_any().unbind()),
        }
    }

    #[getter]
    fn real_url(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.url(py)
    }

    #[getter]
    fn host(&self) -> Option<&str> {
        self.inner.url().host_str()
    }

    #[getter]
    fn version(&self) -> String {
        format!("{:?}", self.inner.version())
    }

    #[getter]
    fn content_type(&self) -> &str {
        self.inner
            .content_type()
            .unwrap_or("application/octet-stream")
    }

    #[getter]
    fn charset(&self) -> Option<String> {
        let value = self.inner.headers().get("content-type")?;
        value.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
        })
    }

    #[getter]
    fn headers(&mut self, py: Python<'_>) -> PyResult<Py<PyHeaders>> {
        if let Some(headers) = &self.headers {
            return Ok(headers.clone_ref(py));
        }
        let headers = Py::new(py, PyHeaders::new(self.inner.headers().clone()))?;
        self.headers = Some(headers.clone_ref(py));
        Ok(headers)
    }

    #[getter]
    fn history(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let items = self
            .inner
            .history()
            .iter()
            .map(|r| Py::new(py, PyResponse::new(r.clone().into(), self.bridge.clone())))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(py, items)?.unbind())
    }

    /// The cookies this response set, as an `http.cookies.SimpleCookie`.
    #[getter]
    fn cookies(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let jar = py
            .import("http.cookies")?
            .getattr("SimpleCookie")?
            .call0()?;
        for value in self.inner.headers().get_all_bytes("set-cookie") {
            jar.call_method1("load", (String::from_utf8_lossy(value),))?;
        }
        Ok(jar.unbind())
    }

    /// The body as `bytes`.
    fn read(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.ready(py, PyBytes::new(py, self.inner.body()).into_any())
    }

    /// The body as `str`.
    #[pyo3(signature = (encoding = None, errors = "strict"))]
    fn text(&self, py: Python<'_>, encoding: Option<&str>, errors: &str) -> PyResult<Py<PyAny>> {
        let _ = errors;
        let text = self.decode(encoding.or(self.charset().as_deref()))?;
        self.ready(py, PyString::new(py, &text).into_any())
    }

    /// The body parsed as JSON (with `json.loads`, or `loads`).
    #[pyo3(signature = (*, encoding = None, loads = None, content_type = Some("application/json")))]
    fn json(
        &self,
        py: Python<'_>,
        encoding: Option<&str>,
        loads: Option<&Bound<'_, PyAny>>,
        content_type: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        if let Some(expected) = content_type {
            let actual = self.inner.content_type().unwrap_or("");
            if !actual.contains(expected) {
                let error_class = self.bridge.content_type_error.bind(py);
                let kwargs = PyDict::new(py);
                kwargs.set_item("status", self.status())?;
                kwargs.set_item(
                    "message",
                    format!("Attempt to decode JSON with unexpected mimetype: {actual}"),
                )?;
                return Err(PyErr::from_value(
                    error_class.call((py.None(), PyTuple::empty(py)), Some(&kwargs))?,
                ));
            }
        }
        if self.inner.body().iter().all(u8::is_ascii_whitespace) {
            return self.ready(py, py.None().into_bound(py));
        }
        let value = match loads {
            Some(loads) => loads.call1((self.decode(encoding)?,))?,
            None if encoding.is_some() => self
                .bridge
                .json_loads
                .bind(py)
                .call1((self.decode(encoding)?,))?,
            None => match scan_json(py, &self.bridge, self.inner.body()) {
                Some(value) => value,
                None => self
                    .bridge
                    .json_loads
                    .bind(py)
                    .call1((PyBytes::new(py, self.inner.body()),))?,
            },
        };
        self.ready(py, value)
    }

    fn raise_for_status(&self, py: Python<'_>) -> PyResult<()> {
        if self.status() < 400 {
            return Ok(());
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("status", self.status())?;
        kwargs.set_item("message", self.reason())?;
        let error = self
            .bridge
            .response_error
            .bind(py)
            .call((py.None(), PyTuple::empty(py)), Some(&kwargs))?;
        Err(PyErr::from_value(error))
    }

    fn release(&self, py: Python<'_>) -> Py<Ready> {
        self.bridge.ready_none.clone_ref(py)
    }

    fn close(&self) {}

    fn __aenter__(slf: Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let ready = slf.borrow().bridge.ready.clone_ref(slf.py());
        ready.call1(slf.py(), (slf,))
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> Py<Ready> {
        self.bridge.ready_none.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<ClientResponse({}) [{} {}]>",
            self.inner.url(),
            self.status(),
            self.reason()
        )
    }
}

/// Response headers: a read-only, case-insensitive multidict (aiohttp's `CIMultiDictProxy`).
#[pyclass(unsendable, mapping, name = "Headers", module = "molotov._molotov")]
pub(crate) struct PyHeaders {
    headers: Headers,
}

impl PyHeaders {
    pub(crate) fn new(headers: Headers) -> Self {
        PyHeaders { headers }
    }

    fn values_of(&self, key: &str) -> Vec<String> {
        self.headers
            .get_all_bytes(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }
}

#[pymethods]
impl PyHeaders {
    fn __getitem__(&self, key: &str) -> PyResult<String> {
        self.headers
            .get_bytes(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> Py<PyAny> {
        match self.headers.get_bytes(key) {
            Some(v) => PyString::new(py, &String::from_utf8_lossy(v))
                .into_any()
                .unbind(),
            None => default.unwrap_or_else(|| py.None()),
        }
    }

    #[pyo3(signature = (key, default = None))]
    fn getone(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match (self.headers.get_bytes(key), default) {
            (Some(v), _) => Ok(PyString::new(py, &String::from_utf8_lossy(v))
                .into_any()
                .unbind()),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(PyKeyError::new_err(key.to_owned())),
        }
    }

    #[pyo3(signature = (key, default = None))]
    fn getall(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let values = self.values_of(key);
        if !values.is_empty() {
            return Ok(PyList::new(py, values)?.into_any().unbind());
        }
        default.ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    fn __contains__(&self, key: &str) -> bool {
        self.headers.contains(key)
    }

    fn __len__(&self) -> usize {
        self.headers.len()
    }

    fn keys(&self) -> Vec<String> {
        self.headers.iter().map(|(n, _)| n.to_owned()).collect()
    }

    fn values(&self) -> Vec<String> {
        self.headers
            .iter()
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    fn items(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.to_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyList::new(py, self.keys())?
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn __repr__(&self) -> String {
        let items: Vec<String> = self
            .items()
            .into_iter()
            .map(|(k, v)| format!("'{k}': {v:?}"))
            .collect();
        format!("<Headers({{{}}})>", items.join(", "))
    }
}
