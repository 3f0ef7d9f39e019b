//! [`Session::websocket`]: a WebSocket opened from a scenario, its handshake recorded as a
//! request (`WS /path`, status 101 and its latency, or the failure's kind).
//!
//! ```no_run
//! # async fn scenario(session: molotov_core::Session) -> Result<(), molotov_core::http::Error> {
//! use molotov_core::http::Message;
//! let socket = session.websocket("ws://127.0.0.1:8080/ws").name("echo").connect().await?;
//! socket.send(Message::Text("hello".into())).await?;
//! let echoed = socket.recv().await;
//! socket.close(1000, "done").await?;
//! # Ok(()) }
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue, Method};
use molotov_http::{Error as HttpError, Message, WebSocket as HttpWebSocket, WebSocketRequest};

use crate::event::Event;
use crate::exchange::Exchange;
use crate::session::{Request, Response, Session, SessionEnv};

/// The method name a WebSocket handshake is recorded under.
const WS: &str = "WS";

/// A WebSocket to open: [`Session::websocket`], then options, then [`connect`].
///
/// [`connect`]: WebSocketBuilder::connect
pub struct WebSocketBuilder<'a> {
    session: &'a Session,
    request: Result<WebSocketRequest, HttpError>,
    name: Option<String>,
}

impl Session {
    /// A WebSocket to `url` (`ws://`, `wss://`; relative to the session's base URL).
    pub fn websocket(&self, url: &str) -> WebSocketBuilder<'_> {
        WebSocketBuilder {
            session: self,
            request: self.url(url).map(WebSocketRequest::new),
            name: None,
        }
    }
}

impl WebSocketBuilder<'_> {
    /// A header of the handshake request; an invalid one fails [`connect`].
    ///
    /// [`connect`]: WebSocketBuilder::connect
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Ok(request) = &mut self.request {
            match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                (Ok(name), Ok(value)) => {
                    request.headers.append(name, value);
                }
                _ => {
                    self.request = Err(HttpError::new(molotov_http::Kind::Request)
                        .with_context(format!("invalid header {name:?}")));
                }
            }
        }
        self
    }

    /// Subprotocols offered, in order of preference.
    #[must_use]
    pub fn protocols(mut self, protocols: &[&str]) -> Self {
        if let Ok(request) = &mut self.request {
            request.protocols = protocols.iter().map(|p| (*p).to_owned()).collect();
        }
        self
    }

    /// The `Origin` header.
    #[must_use]
    pub fn origin(mut self, origin: &str) -> Self {
        if let Ok(request) = &mut self.request {
            request.origin = Some(origin.to_owned());
        }
        self
    }

    /// The handshake's timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Ok(request) = &mut self.request {
            request.timeout = Some(timeout);
        }
        self
    }

    /// The largest message accepted (default 4 MiB; 0: no limit).
    #[must_use]
    pub fn max_message(mut self, bytes: usize) -> Self {
        if let Ok(request) = &mut self.request {
            request.max_message = bytes;
        }
        self
    }

    /// Whether to verify the server's certificate (default: the session's setting).
    #[must_use]
    pub fn verify_tls(mut self, verify: bool) -> Self {
        if let Ok(request) = &mut self.request {
            request.verify_tls = Some(verify);
        }
        self
    }

    /// The name the handshake is recorded under (default: the URL's path).
    #[must_use]
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Opens the socket. The handshake is recorded as the request `WS <name or path>`: its
    /// status (101) and latency, or its failure's kind (`websocket` for a refused handshake).
    /// Listeners get `sending_request` and `response_received` for it, as for a request (a
    /// `GET` with the handshake's headers; the `101` response).
    pub async fn connect(self) -> Result<WebSocket, HttpError> {
        let request = self.request?;
        let env = self.session.env().clone();
        let event_request = (!env.listeners.is_empty()).then(|| {
            let mut shown = Request::new(Method::GET, request.url.clone());
            shown.headers = request.headers.clone();
            shown
        });
        if let Some(shown) = &event_request {
            let event = Event::SendingRequest {
                session: self.session,
                request: shown,
            };
            env.listeners.emit(&event, &env.notices).await;
        }
        let key = self.name.unwrap_or_else(|| request.url.path().to_owned());
        let exchange = Exchange {
            env: self.session.env().clone(),
            method: Method::from_bytes(WS.as_bytes()).unwrap_or(Method::GET),
            key: key.into(),
            worker: self.session.worker_id(),
            start: Instant::now(),
            lag: self.session.context().lag(),
        };
        match self.session.client().websocket(&request).await {
            Ok(socket) => {
                exchange.record_response(socket.handshake(), 0);
                env.stats.borrow_mut().socket_opened(&exchange.key);
                if let Some(shown) = &event_request {
                    let response = Response::from(socket.handshake().clone());
                    let event = Event::ResponseReceived {
                        session: self.session,
                        request: shown,
                        response: &response,
                    };
                    env.listeners.emit(&event, &env.notices).await;
                }
                Ok(WebSocket {
                    inner: socket,
                    opened: Instant::now(),
                    env,
                    name: exchange.key.clone(),
                    ended: Cell::new(false),
                })
            }
            Err(e) => {
                exchange.record_error(&e);
                Err(e)
            }
        }
    }
}

/// An open WebSocket (see [`molotov_http::WebSocket`] for the protocol's behaviour). Its
/// messages and its end are counted under its name ([`molotov_stats::SocketReport`]): a close
/// with 1000, 1001, no code or an application code (3000-4999) is normal; a protocol or server
/// error code (`close 1011`), an end without a close frame, an error (its kind) or a socket
/// dropped open (`not closed`) is a failure.
pub struct WebSocket {
    inner: HttpWebSocket,
    opened: Instant,
    env: Rc<SessionEnv>,
    name: Box<str>,
    /// Its end was counted.
    ended: Cell<bool>,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("name", &self.name)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// Whether a close code is a normal end: not one of the codes RFC 6455 (§7.4.1) gives to a
/// protocol error, a broken connection, a bad message or a server failure; the application
/// codes (3000-4999) are normal.
fn normal(code: u16) -> bool {
    !matches!(code, 1002 | 1003 | 1006..=1015)
}

impl WebSocket {
    fn count_message(&self, message: &Message, sent: bool) {
        let bytes = match message {
            Message::Text(text) => text.len(),
            Message::Binary(bytes) => bytes.len(),
            _ => return,
        };
        self.env
            .stats
            .borrow_mut()
            .socket_message(&self.name, sent, bytes as u64);
    }

    /// Counts the socket's end, once.
    fn end(&self, failure: Option<&str>) {
        if !self.ended.replace(true) {
            self.env
                .stats
                .borrow_mut()
                .socket_ended(&self.name, self.opened.elapsed(), failure);
        }
    }

    /// Sends a message.
    pub async fn send(&self, message: Message) -> Result<(), HttpError> {
        let counted = matches!(message, Message::Text(_) | Message::Binary(_));
        let bytes = counted.then(|| message.clone());
        let sent = self.inner.send(message).await;
        match (&sent, bytes) {
            (Ok(()), Some(message)) => self.count_message(&message, true),
            (Err(e), _) => self.end(Some(e.kind_name())),
            _ => {}
        }
        sent
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: &str) -> Result<(), HttpError> {
        self.send(Message::Text(text.to_owned())).await
    }

    /// The next message; `None` once the socket is closed.
    pub async fn recv(&self) -> Option<Result<Message, HttpError>> {
        let got = self.inner.recv().await;
        match &got {
            Some(Ok(Message::Close(code, _))) => {
                let code = *code;
                let kind = format!("close {code}");
                self.end((!normal(code)).then_some(kind.as_str()));
            }
            Some(Ok(message)) => self.count_message(message, false),
            Some(Err(e)) => self.end(Some(e.kind_name())),
            None => match self.inner.close_code() {
                Some(code) if normal(code) => self.end(None),
                Some(code) => self.end(Some(&format!("close {code}"))),
                None => self.end(Some("no close frame")),
            },
        }
        got
    }

    /// Closes with `code` and `reason` and waits for the peer's close frame.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), HttpError> {
        let closed = self.inner.close(code, reason).await;
        match &closed {
            Ok(()) if normal(code) => self.end(None),
            Ok(()) => self.end(Some(&format!("close {code}"))),
            Err(e) => self.end(Some(e.kind_name())),
        }
        closed
    }

    /// The subprotocol the server chose.
    pub fn protocol(&self) -> Option<&str> {
        self.inner.protocol()
    }

    /// The close code, once closed.
    pub fn close_code(&self) -> Option<u16> {
        self.inner.close_code()
    }

    /// Since the handshake completed.
    pub fn open_for(&self) -> Duration {
        self.opened.elapsed()
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        self.end(Some("not closed"));
    }
}
