//! The response scripts get, shaped like aiohttp's `ClientResponse`. It reads the Rust
//! response in place; Python objects are made only for what the script asks for.
//!
//! Its body: complete with the head when it is small (then `read()`, `text()` and `json()` are
//! ready values, no I/O), else read as the script asks: whole by `read()`, `text()`, `json()`,
//! or piece by piece by `resp.content` (`molotov._streams.StreamReader`, over the private
//! `_piece`, `_rest`, `_unread`... below), each read a job of a `Pending` (see `body`).
//! `release()` (and leaving `async with`) drops the unread rest: its connection is closed and
//! the request recorded, as aiohttp releases the connection.

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use molotov::http::{Error, Kind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::awaitable::{Job, Pending, Ready};
use crate::body::{Body, Got, Read, ReadError, Then};
use crate::bridge::Bridge;
use crate::failure::http_error;
use crate::headers::PyHeaders;
use crate::values;

/// A response.
#[pyclass(
    unsendable,
    freelist = 64,
    name = "ClientResponse",
    module = "molotov._molotov"
)]
pub(crate) struct PyResponse {
    /// The head, and the body when it came whole.
    inner: molotov::Response,
    bridge: Rc<Bridge>,
    headers: Option<Py<PyHeaders>>,
    /// The rest of a body that was not complete with its head.
    stream: Option<Rc<Body>>,
    /// Bytes the content reader put back: they come first.
    unread: Option<Bytes>,
    /// What `read()` returns, once it is not simply `inner.body()`.
    cache: Option<Bytes>,
    /// `read()`, `text()` or `json()` had the body: the content reader is at its end.
    consumed: bool,
}

impl PyResponse {
    /// A response whose body is complete (redirects of the history, events).
    pub(crate) fn new(inner: molotov::Response, bridge: Rc<Bridge>) -> Self {
        PyResponse {
            inner,
            bridge,
            headers: None,
            stream: None,
            unread: None,
            cache: None,
            consumed: false,
        }
    }

    /// The response to a request: the rest of a body not complete yet is read as asked,
    /// within `timeout`.
    pub(crate) fn from_engine(
        response: molotov::Response,
        bridge: Rc<Bridge>,
        timeout: Option<Duration>,
    ) -> Self {
        if response.is_complete() {
            return PyResponse::new(response, bridge);
        }
        // The head stays here for the getters; the body moves into its cell.
        let mut head: molotov::http::Response = (*response).clone();
        head.take_body();
        let mut this = PyResponse::new(head.into(), bridge);
        this.stream = Some(Rc::new(Body::new(response, timeout)));
        this
    }

    /// Drops the unread rest of the body (the connection is closed, the request recorded).
    pub(crate) fn release_body(&mut self) {
        if let Some(body) = self.stream.take() {
            body.release();
        }
    }

    /// An awaitable of `value`: a coroutine that returns it at once (awaiting a coroutine
    /// costs no `StopIteration`, unlike an iterator).
    fn ready(&self, py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bridge.ready.call1(py, (value,))
    }

    /// Whether the body `read()` gives is there without I/O (see [`PyResponse::known_body`]);
    /// if so, the content reader is at its end from now on.
    fn settle(&mut self) -> bool {
        if self.cache.is_none() && self.stream.is_none() && self.unread.is_some() {
            let front = self.unread.take();
            let rest = self.take_inner_body();
            self.cache = Some(values::join(front, rest));
        }
        let known = self.cache.is_some() || self.stream.is_none();
        self.consumed |= known;
        known
    }

    /// The body `read()` gives, once [`PyResponse::settle`] said it is known.
    fn known_body(&self) -> &Bytes {
        match &self.cache {
            Some(body) => body,
            None => self.inner.body(),
        }
    }

    /// Takes the body out of a complete `inner` (no I/O: it is all there).
    fn take_inner_body(&mut self) -> Bytes {
        match self.inner.chunk().now_or_never() {
            Some(Ok(Some(piece))) => piece,
            _ => Bytes::new(),
        }
    }

    /// A `Pending` that reads the rest of the body (or its next piece), then does `then`.
    fn read_job(slf: &Bound<'_, Self>, then: Then) -> PyResult<Py<PyAny>> {
        let this = slf.borrow();
        let Some(body) = this.stream.clone() else {
            return Err(PyRuntimeError::new_err(
                "the response body is not being read",
            ));
        };
        let job = Job::Read(Read {
            response: slf.clone().unbind(),
            body,
            then,
        });
        Ok(Py::new(slf.py(), Pending::new(job, this.bridge.clone()))?.into_any())
    }

    /// What a read of the body gives the script: the job's result turned into Python.
    pub(crate) fn answer_read(
        py: Python<'_>,
        read: Read,
        result: Result<Got, ReadError>,
    ) -> PyResult<Py<PyAny>> {
        let Read { response, then, .. } = read;
        let mut this = response.bind(py).borrow_mut();
        let got = match result {
            Ok(got) => got,
            Err(ReadError::Busy) => {
                return Err(PyRuntimeError::new_err(
                    "another read of this response's body is in progress: read a body from \
                     one task at a time",
                ));
            }
            Err(ReadError::Broken) => {
                this.stream = None;
                let error = Error::new(Kind::Closed).with_context(
                    "the rest of the response body was lost: a read of it was cancelled".to_owned(),
                );
                return Err(http_error(py, &this.bridge, &error));
            }
            Err(ReadError::Http(error)) => {
                this.stream = None;
                return Err(http_error(py, &this.bridge, &error));
            }
        };
        let rest = match got {
            Got::Piece(Some(piece)) => return Ok(PyBytes::new(py, &piece).into_any().unbind()),
            Got::Piece(None) => {
                this.stream = None;
                return Ok(PyBytes::new(py, b"").into_any().unbind());
            }
            Got::Rest(rest) => rest,
        };
        this.stream = None;
        let front = this.unread.take();
        let all = values::join(front, rest);
        let bridge = this.bridge.clone();
        let value = match &then {
            Then::Piece | Then::Take => return Ok(PyBytes::new(py, &all).into_any().unbind()),
            Then::Bytes => PyBytes::new(py, &all).into_any(),
            Then::Text { encoding } => {
                let encoding = encoding.clone().or_else(|| this.charset());
                PyString::new(py, &values::decode(&all, encoding.as_deref())?).into_any()
            }
            Then::Json { encoding, loads } => values::json(
                py,
                &bridge,
                &all,
                encoding.as_deref(),
                loads.as_ref().map(|l| l.bind(py)),
            )?,
        };
        this.cache = Some(all);
        this.consumed = true;
        Ok(value.unbind())
    }

    fn content_type_error(&self, py: Python<'_>, actual: &str) -> PyErr {
        let make = || {
            let kwargs = PyDict::new(py);
            kwargs.set_item("status", self.status())?;
            kwargs.set_item(
                "message",
                format!("Attempt to decode JSON with unexpected mimetype: {actual}"),
            )?;
            self.bridge
                .content_type_error
                .bind(py)
                .call((py.None(), PyTuple::empty(py)), Some(&kwargs))
        };
        match make() {
            Ok(error) => PyErr::from_value(error),
            Err(e) => e,
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

    /// aiohttp's `HttpVersion(major, minor)`: `(1, 1)`, or `(2, 0)` over HTTP/2.
    #[getter]
    fn version<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (major, minor) = match self.inner.version() {
            http::Version::HTTP_09 => (0, 9),
            http::Version::HTTP_10 => (1, 0),
            http::Version::HTTP_2 => (2, 0),
            http::Version::HTTP_3 => (3, 0),
            _ => (1, 1),
        };
        py.import("aiohttp")?
            .getattr("HttpVersion")?
            .call1((major, minor))
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
    fn read(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        if this.settle() {
            let body = PyBytes::new(py, this.known_body()).into_any();
            return this.ready(py, body);
        }
        drop(this);
        PyResponse::read_job(slf, Then::Bytes)
    }

    /// The body as `str`.
    #[pyo3(signature = (encoding = None, errors = "strict"))]
    fn text(slf: &Bound<'_, Self>, encoding: Option<&str>, errors: &str) -> PyResult<Py<PyAny>> {
        let _ = errors;
        let py = slf.py();
        let mut this = slf.borrow_mut();
        if this.settle() {
            let charset = this.charset();
            let text = values::decode(this.known_body(), encoding.or(charset.as_deref()))?;
            return this.ready(py, PyString::new(py, &text).into_any());
        }
        drop(this);
        let encoding = encoding.map(str::to_owned);
        PyResponse::read_job(slf, Then::Text { encoding })
    }

    /// The body parsed as JSON (with `json.loads`, or `loads`).
    #[pyo3(signature = (*, encoding = None, loads = None, content_type = Some("application/json")))]
    fn json(
        slf: &Bound<'_, Self>,
        encoding: Option<&str>,
        loads: Option<&Bound<'_, PyAny>>,
        content_type: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        if let Some(expected) = content_type {
            let actual = this.inner.content_type().unwrap_or("");
            if !actual.contains(expected) {
                return Err(this.content_type_error(py, actual));
            }
        }
        if this.settle() {
            let value = values::json(py, &this.bridge, this.known_body(), encoding, loads)?;
            return this.ready(py, value);
        }
        drop(this);
        let then = Then::Json {
            encoding: encoding.map(str::to_owned),
            loads: loads.map(|l| l.clone().unbind()),
        };
        PyResponse::read_job(slf, then)
    }

    /// `resp.content`: a stream reader over the body, as aiohttp's `StreamReader`.
    #[getter]
    fn content(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let reader = slf.borrow().bridge.stream_reader.clone_ref(slf.py());
        reader.call1(slf.py(), (slf,))
    }

    /// For the content reader: the next piece of the body (`b""` at its end).
    fn _piece(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        let piece = if let Some(front) = this.unread.take() {
            front
        } else if this.consumed {
            Bytes::new()
        } else if this.stream.is_none() {
            this.take_inner_body()
        } else {
            drop(this);
            return PyResponse::read_job(slf, Then::Piece);
        };
        this.ready(py, PyBytes::new(py, &piece).into_any())
    }

    /// For the content reader: everything left of the body.
    fn _rest(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        let rest = if this.consumed {
            this.unread.take().unwrap_or_default()
        } else if this.stream.is_none() {
            let front = this.unread.take();
            let rest = this.take_inner_body();
            values::join(front, rest)
        } else {
            drop(this);
            return PyResponse::read_job(slf, Then::Take);
        };
        this.ready(py, PyBytes::new(py, &rest).into_any())
    }

    /// For the content reader: puts `data` back in front of the body.
    fn _unread(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let rest = self.unread.take().unwrap_or_default();
        self.unread = Some(values::join(Some(Bytes::copy_from_slice(data)), rest));
    }

    /// For the content reader: what of the body is there without I/O.
    fn _buffered<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let front = self.unread.take();
        let rest = match &self.stream {
            _ if self.consumed => Bytes::new(),
            Some(body) => body.buffered(),
            None => self.take_inner_body(),
        };
        PyBytes::new(py, &values::join(front, rest))
    }

    /// For the content reader: nothing is left to read.
    fn _at_end(&self) -> bool {
        self.unread.is_none()
            && (self.consumed || (self.stream.is_none() && self.inner.body().is_empty()))
    }

    /// For the content reader: the whole body has arrived.
    fn _complete(&self) -> bool {
        self.stream.is_none()
    }

    pub(crate) fn raise_for_status(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.status() < 400 {
            return Ok(());
        }
        // aiohttp releases the connection before raising.
        self.release_body();
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

    /// Drops what is left of the body unread (its connection is closed); awaitable, as in
    /// aiohttp.
    fn release(&mut self, py: Python<'_>) -> Py<Ready> {
        self.release_body();
        self.bridge.ready_none.clone_ref(py)
    }

    fn close(&mut self) {
        self.release_body();
    }

    fn __aenter__(slf: Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let ready = slf.borrow().bridge.ready.clone_ref(slf.py());
        ready.call1(slf.py(), (slf,))
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&mut self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> Py<Ready> {
        self.release_body();
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
