//! The native half of `session.ws_connect` (its Python half, aiohttp's API, is
//! `molotov._websocket`): opening a socket, sending, receiving and closing, each a [`Pending`]
//! job run by the engine like a request.
//!
//! A received message reaches Python as `(type, data, extra)` with aiohttp's `WSMsgType`
//! numbers: TEXT 1, BINARY 2, PING 9, PONG 10, CLOSE 8 (data: the code, extra: the reason),
//! CLOSED 257 once the socket ended.
//!
//! [`Pending`]: crate::awaitable::Pending

use std::rc::Rc;
use std::time::Duration;

use molotov::Session;
use molotov::http::{Bytes, Error, Message};
use pyo3::exceptions::PyTimeoutError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::awaitable::{Job, Pending};
use crate::bridge::Bridge;
use crate::failure::http_error;

/// aiohttp's `WSMsgType` values.
const TEXT: u16 = 1;
const BINARY: u16 = 2;
const CLOSE: u16 = 8;
const PING: u16 = 9;
const PONG: u16 = 10;
const CLOSED: u16 = 257;

/// What to open.
pub(crate) struct Open {
    pub(crate) session: Session,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) protocols: Vec<String>,
    pub(crate) origin: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_message: usize,
    pub(crate) name: Option<String>,
    /// `ssl=False`: no certificate check.
    pub(crate) verify: Option<bool>,
}

/// WebSocket I/O for a [`Pending`].
pub(crate) enum WsJob {
    Open(Open),
    Send(Rc<molotov::WebSocket>, Message),
    Receive(Rc<molotov::WebSocket>, Option<Duration>),
    Close(Rc<molotov::WebSocket>, u16, String),
}

/// What a [`WsJob`] did.
pub(crate) enum WsDone {
    Opened(Result<Box<molotov::WebSocket>, Error>),
    Sent(Result<(), Error>),
    Received(Received),
    Closed(Result<(), Error>),
}

/// What a receive got.
pub(crate) enum Received {
    Message(Result<Message, Error>),
    /// The socket ended.
    End,
    /// Nothing within the timeout.
    TimedOut,
}

impl WsJob {
    pub(crate) async fn run(self) -> WsDone {
        match self {
            WsJob::Open(open) => {
                let mut builder = open.session.websocket(&open.url);
                for (name, value) in &open.headers {
                    builder = builder.header(name, value);
                }
                let protocols: Vec<&str> = open.protocols.iter().map(String::as_str).collect();
                builder = builder.protocols(&protocols).max_message(open.max_message);
                if let Some(origin) = &open.origin {
                    builder = builder.origin(origin);
                }
                if let Some(timeout) = open.timeout {
                    builder = builder.timeout(timeout);
                }
                if let Some(name) = &open.name {
                    builder = builder.name(name);
                }
                if let Some(verify) = open.verify {
                    builder = builder.verify_tls(verify);
                }
                WsDone::Opened(builder.connect().await.map(Box::new))
            }
            WsJob::Send(socket, message) => WsDone::Sent(socket.send(message).await),
            WsJob::Receive(socket, timeout) => {
                let got = match timeout {
                    Some(limit) => tokio::time::timeout(limit, socket.recv()).await.ok(),
                    None => Some(socket.recv().await),
                };
                WsDone::Received(match got {
                    Some(Some(message)) => Received::Message(message),
                    Some(None) => Received::End,
                    None => Received::TimedOut,
                })
            }
            WsJob::Close(socket, code, reason) => WsDone::Closed(socket.close(code, &reason).await),
        }
    }

    /// The job's outcome in Python.
    pub(crate) fn answer(py: Python<'_>, bridge: &Rc<Bridge>, done: WsDone) -> PyResult<Py<PyAny>> {
        match done {
            WsDone::Opened(Ok(socket)) => Ok(Py::new(
                py,
                PyWebSocket {
                    socket: Rc::new(*socket),
                    bridge: bridge.clone(),
                },
            )?
            .into_any()),
            WsDone::Sent(Ok(())) | WsDone::Closed(Ok(())) => Ok(py.None()),
            WsDone::Received(Received::Message(Ok(message))) => {
                let (kind, data, extra): (u16, Py<PyAny>, Py<PyAny>) = match message {
                    Message::Text(text) => (
                        TEXT,
                        PyString::new(py, &text).into_any().unbind(),
                        py.None(),
                    ),
                    Message::Binary(bytes) => (
                        BINARY,
                        PyBytes::new(py, &bytes).into_any().unbind(),
                        py.None(),
                    ),
                    Message::Ping(bytes) => (
                        PING,
                        PyBytes::new(py, &bytes).into_any().unbind(),
                        py.None(),
                    ),
                    Message::Pong(bytes) => (
                        PONG,
                        PyBytes::new(py, &bytes).into_any().unbind(),
                        py.None(),
                    ),
                    Message::Close(code, reason) => (
                        CLOSE,
                        code.into_pyobject(py)?.into_any().unbind(),
                        PyString::new(py, &reason).into_any().unbind(),
                    ),
                };
                Ok((kind, data, extra).into_pyobject(py)?.into_any().unbind())
            }
            WsDone::Received(Received::End) => Ok((CLOSED, py.None(), py.None())
                .into_pyobject(py)?
                .into_any()
                .unbind()),
            WsDone::Received(Received::TimedOut) => {
                Err(PyTimeoutError::new_err("no message in time"))
            }
            WsDone::Opened(Err(e))
            | WsDone::Sent(Err(e))
            | WsDone::Closed(Err(e))
            | WsDone::Received(Received::Message(Err(e))) => Err(http_error(py, bridge, &e)),
        }
    }
}

/// An open socket, for `molotov._websocket.ClientWebSocketResponse`.
#[pyclass(unsendable, module = "molotov._molotov", name = "WebSocket")]
pub(crate) struct PyWebSocket {
    socket: Rc<molotov::WebSocket>,
    bridge: Rc<Bridge>,
}

impl PyWebSocket {
    fn pending(&self, py: Python<'_>, job: WsJob) -> PyResult<Py<PyAny>> {
        Ok(Py::new(
            py,
            Pending::new(Job::Ws(Box::new(job)), self.bridge.clone()),
        )?
        .into_any())
    }
}

#[pymethods]
impl PyWebSocket {
    /// Sends `data`: text for a `str`, bytes otherwise; `kind` 9 or 10 sends a ping or pong.
    fn send(&self, py: Python<'_>, kind: u16, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let message = if let Ok(text) = data.cast::<PyString>() {
            Message::Text(text.to_cow()?.into_owned())
        } else {
            let bytes = Bytes::from(data.extract::<Vec<u8>>()?);
            match kind {
                PING => Message::Ping(bytes),
                PONG => Message::Pong(bytes),
                _ => Message::Binary(bytes),
            }
        };
        self.pending(py, WsJob::Send(self.socket.clone(), message))
    }

    /// The next message as `(type, data, extra)`; `TimeoutError` after `timeout` seconds.
    #[pyo3(signature = (timeout = None))]
    fn receive(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        let timeout = timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(Duration::from_secs_f64);
        self.pending(py, WsJob::Receive(self.socket.clone(), timeout))
    }

    /// Sends a close frame and waits for the peer's.
    fn close(&self, py: Python<'_>, code: u16, reason: String) -> PyResult<Py<PyAny>> {
        self.pending(py, WsJob::Close(self.socket.clone(), code, reason))
    }

    #[getter]
    fn protocol(&self) -> Option<String> {
        self.socket.protocol().map(str::to_owned)
    }

    #[getter]
    fn close_code(&self) -> Option<u16> {
        self.socket.close_code()
    }
}
