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

use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue, Method};
use molotov_http::{Error as HttpError, Message, WebSocket as HttpWebSocket, WebSocketRequest};

use crate::exchange::Exchange;
use crate::session::Session;

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
    pub async fn connect(self) -> Result<WebSocket, HttpError> {
        let request = self.request?;
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
                exchange.record_upgrade(101);
                Ok(WebSocket {
                    inner: socket,
                    opened: Instant::now(),
                })
            }
            Err(e) => {
                exchange.record_error(&e);
                Err(e)
            }
        }
    }
}

/// An open WebSocket (see [`molotov_http::WebSocket`] for the protocol's behaviour).
#[derive(Debug)]
pub struct WebSocket {
    inner: HttpWebSocket,
    opened: Instant,
}

impl WebSocket {
    /// Sends a message.
    pub async fn send(&self, message: Message) -> Result<(), HttpError> {
        self.inner.send(message).await
    }

    /// Sends a text message.
    pub async fn send_text(&self, text: &str) -> Result<(), HttpError> {
        self.inner.send(Message::Text(text.to_owned())).await
    }

    /// The next message; `None` once the socket is closed.
    pub async fn recv(&self) -> Option<Result<Message, HttpError>> {
        self.inner.recv().await
    }

    /// Closes with `code` and `reason` and waits for the peer's close frame.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), HttpError> {
        self.inner.close(code, reason).await
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
