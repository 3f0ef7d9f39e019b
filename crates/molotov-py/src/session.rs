//! The session a scenario receives, shaped like aiohttp's `ClientSession`, over the worker's
//! engine session; and its context (Molotov's `get_context(session)`).
//!
//! `session.get(url, **kwargs)` builds the request at once and returns a [`Pending`]: awaited
//! (`await session.get(...)`) or used as a context manager (`async with session.get(...) as
//! resp`), it yields to the engine, which performs the request. A body that aiohttp's payload
//! machinery makes (multipart, files, async generators) is made first, by
//! `molotov._bodies.PayloadRequest`, which then sends the request with it the same way.

use std::rc::Rc;

use molotov::Session;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::awaitable::{Job, Pending, Ready, Send};
use crate::bridge::Bridge;
use crate::options;
use crate::statsd::PyStatsd;

/// The engine session's handle to its Python object (kept in the session's context).
pub(crate) struct PyHandle(pub(crate) Py<PySession>);

/// A worker's HTTP session (aiohttp's `ClientSession` look-alike). Scripts may set attributes
/// on it, as Molotov's docs do in `setup_session`.
#[pyclass(
    unsendable,
    dict,
    weakref,
    name = "ClientSession",
    module = "molotov._molotov"
)]
pub(crate) struct PySession {
    pub(crate) session: Session,
    pub(crate) bridge: Rc<Bridge>,
    context: Py<PyContext>,
    closed: bool,
    /// `session.headers`, made on first use: a mutable mapping (a `CIMultiDict` when
    /// multidict is installed, as in aiohttp), from then on the complete set of headers sent
    /// with every request (the client's, from `setup`, are no longer added).
    headers: Option<Py<PyAny>>,
}

impl PySession {
    /// The Python session of a worker, created once (when its engine session is) and stored
    /// in the engine session's context.
    pub(crate) fn attach(
        py: Python<'_>,
        session: &Session,
        bridge: &Rc<Bridge>,
    ) -> PyResult<Py<PySession>> {
        if let Some(handle) = session.context().get::<PyHandle>() {
            return Ok(handle.0.clone_ref(py));
        }
        let statsd = match molotov::statsd(session) {
            Some(client) => Py::new(py, PyStatsd::new(client))?.into_any(),
            None => py.None(),
        };
        let context = Py::new(
            py,
            PyContext {
                session: session.clone(),
                args: bridge.args.clone_ref(py),
                statsd,
            },
        )?;
        let py_session = Py::new(
            py,
            PySession {
                session: session.clone(),
                bridge: bridge.clone(),
                context,
                closed: false,
                headers: None,
            },
        )?;
        session.context().insert(PyHandle(py_session.clone_ref(py)));
        Ok(py_session)
    }

    /// Breaks the cycle engine session → Python session → engine session, at teardown.
    pub(crate) fn detach(session: &Session) {
        session.context().remove::<PyHandle>();
    }

    fn start(
        slf: &Bound<'_, Self>,
        method: &str,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let py = url.py();
        let this = slf.borrow();
        // A `str`, or anything whose `str()` is a URL (aiohttp also takes `yarl.URL`).
        let text = match url.cast::<PyString>() {
            Ok(text) => text.to_cow()?,
            Err(_) => std::borrow::Cow::Owned(url.str()?.to_str()?.to_owned()),
        };
        let mut args = options::request(&this.session, method, &text, kwargs)?;
        if args.payload.is_some() {
            // Made by aiohttp's payload machinery first, then sent as bytes through here.
            return this
                .bridge
                .payload_request
                .call1(py, (slf, method, url, kwargs));
        }
        if let Some(headers) = &this.headers {
            // The mapping is the complete set: what was removed from it is not sent.
            args.request.default_headers = false;
            options::add_session_headers(&mut args.request, headers.bind(py))?;
        }
        let job = Job::Send(Send {
            session: this.session.clone(),
            request: args.request,
            name: args.name,
            raise_for_status: args.raise_for_status,
        });
        Ok(Py::new(py, Pending::new(job, this.bridge.clone()))?.into_any())
    }
}

#[pymethods]
impl PySession {
    /// aiohttp's `ws_connect`, made in `molotov._websocket` over [`PySession::_ws_open`].
    #[pyo3(signature = (url, **kwargs))]
    fn ws_connect(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        py.import("molotov._websocket")?
            .getattr("ws_connect")?
            .call((slf, url), kwargs)
            .map(Bound::unbind)
    }

    /// Opens a WebSocket (the native half of `ws_connect`): a `Pending` whose value is a
    /// `molotov._molotov.WebSocket`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the keyword arguments of one Python call"
    )]
    #[pyo3(signature = (url, headers, protocols, origin, timeout, max_msg_size, name, verify))]
    fn _ws_open(
        &self,
        py: Python<'_>,
        url: String,
        headers: Vec<(String, String)>,
        protocols: Vec<String>,
        origin: Option<String>,
        timeout: Option<f64>,
        max_msg_size: usize,
        name: Option<String>,
        verify: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        let open = crate::websocket::Open {
            session: self.session.clone(),
            url,
            headers,
            protocols,
            origin,
            timeout: timeout
                .filter(|t| t.is_finite() && *t > 0.0)
                .map(std::time::Duration::from_secs_f64),
            max_message: max_msg_size,
            name,
            verify,
        };
        let job = Job::Ws(Box::new(crate::websocket::WsJob::Open(open)));
        Ok(Py::new(py, Pending::new(job, self.bridge.clone()))?.into_any())
    }

    #[pyo3(signature = (url, **kwargs))]
    fn get(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "GET", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn post(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "POST", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn put(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "PUT", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn patch(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "PATCH", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn delete(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "DELETE", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn head(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let kwargs = match kwargs {
            Some(k) if k.contains("allow_redirects")? => Some(k.clone()),
            // aiohttp does not follow redirects for HEAD unless asked.
            other => {
                let k = other.map_or_else(|| PyDict::new(py), Bound::clone);
                k.set_item("allow_redirects", false)?;
                Some(k)
            }
        };
        PySession::start(slf, "HEAD", url, kwargs.as_ref())
    }

    #[pyo3(signature = (url, **kwargs))]
    fn options(
        slf: &Bound<'_, Self>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, "OPTIONS", url, kwargs)
    }

    #[pyo3(signature = (method, url, **kwargs))]
    fn request(
        slf: &Bound<'_, Self>,
        method: &str,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        PySession::start(slf, method, url, kwargs)
    }

    /// The worker's event loop.
    #[getter(r#loop)]
    fn event_loop(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.bridge.event_loop(py).map(|l| l.clone_ref(py))
    }

    /// The headers sent with every request: those of `setup` at first; once made, the
    /// mapping is the whole set (adding, replacing or removing an entry changes what is sent).
    #[getter]
    fn headers(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(headers) = &self.headers {
            return Ok(headers.clone_ref(py));
        }
        let pairs = self
            .session
            .client()
            .config()
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect::<Vec<_>>();
        let pairs = PyList::new(py, pairs)?;
        let headers = match py.import("multidict") {
            Ok(multidict) => multidict.getattr("CIMultiDict")?.call1((pairs,))?,
            Err(_) => PyDict::from_sequence(pairs.as_any())?.into_any(),
        };
        self.headers = Some(headers.clone().unbind());
        Ok(headers.unbind())
    }

    #[getter]
    fn cookie_jar(&self) -> CookieJar {
        CookieJar {
            session: self.session.clone(),
        }
    }

    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    /// Closes the idle connections; awaitable, as in aiohttp.
    fn close(&mut self, py: Python<'_>) -> Py<Ready> {
        self.closed = true;
        self.session.close();
        self.bridge.ready_none.clone_ref(py)
    }

    #[getter]
    fn _molotov_context(&self, py: Python<'_>) -> Py<PyContext> {
        self.context.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<molotov ClientSession of worker {}>",
            self.session.worker_id()
        )
    }
}

/// Per-session data: Molotov's `get_context(session)`, an attribute bag with `worker_id`,
/// `step`, `args`, `statsd` and `attach(name, value)`.
#[pyclass(unsendable, dict, name = "Context", module = "molotov._molotov")]
pub(crate) struct PyContext {
    session: Session,
    #[pyo3(get, set)]
    args: Py<PyAny>,
    #[pyo3(get, set)]
    statsd: Py<PyAny>,
}

#[pymethods]
impl PyContext {
    #[getter]
    fn worker_id(&self) -> usize {
        self.session.worker_id()
    }

    /// The number of the scenario run in progress (1 for the first).
    #[getter]
    fn step(&self) -> u64 {
        self.session.context().step()
    }

    /// Attaches `value` as attribute `name`.
    fn attach(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, PyString>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        slf.as_any().setattr(name, value)
    }
}

/// The session's cookies (aiohttp's `CookieJar`, the parts a load test uses).
#[pyclass(unsendable, name = "CookieJar", module = "molotov._molotov")]
pub(crate) struct CookieJar {
    session: Session,
}

#[pymethods]
impl CookieJar {
    fn __len__(&self) -> usize {
        self.session.client().cookies().len()
    }

    /// The cookies as `http.cookies.Morsel`s.
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let jar = self.filter_cookies(py, None)?;
        Ok(jar
            .call_method0(py, "values")?
            .bind(py)
            .try_iter()?
            .into_any()
            .unbind())
    }

    /// Every cookie (the URL is not used: a worker's cookies are few).
    #[pyo3(signature = (url = None))]
    fn filter_cookies(
        &self,
        py: Python<'_>,
        url: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = url;
        let jar = py
            .import("http.cookies")?
            .getattr("SimpleCookie")?
            .call0()?;
        for (name, value, _domain) in self.session.client().cookies() {
            jar.set_item(name, value)?;
        }
        Ok(jar.unbind())
    }

    /// Adds cookies sent to every host.
    #[pyo3(signature = (cookies, response_url = None))]
    fn update_cookies(
        &self,
        cookies: &Bound<'_, PyAny>,
        response_url: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let _ = response_url;
        let items = if cookies.hasattr("items")? {
            cookies.call_method0("items")?
        } else {
            cookies.clone()
        };
        for item in items.try_iter()? {
            let (name, value): (String, Bound<'_, PyAny>) = item?.extract()?;
            let value: String = match value.getattr("value") {
                Ok(v) => v.extract()?,
                Err(_) => value.str()?.extract()?,
            };
            self.session.client().add_cookie(name, value);
        }
        Ok(())
    }

    fn clear(&self) {
        self.session.client().clear_cookies();
    }
}
