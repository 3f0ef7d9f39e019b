//! WebSocket (`ws://`, `wss://`): the handshake on a connection of the client's own (its
//! DNS cache, `--connect-to`, TLS settings, default headers, cookies and user agent), then the
//! protocol of `tokio-tungstenite` on it.
//!
//! A handshake the server refuses (any status but 101) fails with the kind `websocket` and
//! keeps the status; a message larger than the limit, a protocol error or a connection that
//! ends without a close frame fail with `websocket` too (or `closed`, `io`...).

use std::cell::Cell;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use http::{HeaderMap, HeaderValue};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message as WireMessage, protocol::WebSocketConfig};
use url::Url;

use crate::client::Client;
use crate::conn::Stream;
use crate::error::{Error, Kind};
use crate::response::{Headers, Response};

/// What to open.
#[derive(Clone, Debug)]
pub struct WebSocketRequest {
    /// A `ws://` or `wss://` URL (`http://` and `https://` are taken as such).
    pub url: Url,
    /// Headers of the handshake request (the client's defaults, cookies and agent are added).
    pub headers: HeaderMap,
    /// Subprotocols offered (`Sec-WebSocket-Protocol`), in order of preference.
    pub protocols: Vec<String>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// The largest message accepted (default 4 MiB, as aiohttp's `max_msg_size`); 0: no limit.
    pub max_message: usize,
    /// The handshake's timeout (connection included); `None` uses the client's.
    pub timeout: Option<Duration>,
    /// Whether to verify the server's certificate; `None` uses the client's setting.
    pub verify_tls: Option<bool>,
}

impl WebSocketRequest {
    /// A request for `url` with no extra header and aiohttp's defaults.
    pub fn new(url: Url) -> Self {
        WebSocketRequest {
            url,
            headers: HeaderMap::new(),
            protocols: Vec::new(),
            origin: None,
            max_message: 4 * 1024 * 1024,
            timeout: None,
            verify_tls: None,
        }
    }
}

/// A message received (or to send).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Text.
    Text(String),
    /// Bytes.
    Binary(Bytes),
    /// A ping (answered by a pong as it arrives).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame: its code (1005 when it gave none) and reason.
    Close(u16, String),
}

/// An open WebSocket. Sending and receiving go through halves of their own, so one task may
/// wait for a message while another sends.
pub struct WebSocket {
    sink: tokio::sync::Mutex<SplitSink<WebSocketStream<Stream>, WireMessage>>,
    stream: tokio::sync::Mutex<SplitStream<WebSocketStream<Stream>>>,
    /// The subprotocol the server chose.
    protocol: Option<String>,
    /// The handshake response's headers.
    headers: HeaderMap,
    /// The handshake's response (`101 Switching Protocols`), for events.
    handshake: Response,
    /// The close code, once closed (by either side).
    close_code: Cell<Option<u16>>,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol)
            .field("close_code", &self.close_code.get())
            .finish_non_exhaustive()
    }
}

fn ws_error(e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::Io(io) => Error::from_io(io),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            Error::new(Kind::Closed).with_context("the WebSocket is closed".into())
        }
        tungstenite::Error::Http(response) => Error::new(Kind::WebSocket)
            .with_context(format!(
                "the server refused the WebSocket handshake with {}",
                response.status()
            ))
            .with_status(response.status()),
        tungstenite::Error::Capacity(c) => Error::new(Kind::TooLarge).with_context(c.to_string()),
        other => Error::new(Kind::WebSocket).with_context(other.to_string()),
    }
}

impl Client {
    /// Opens a WebSocket: connects (as for a request to the same origin), sends the
    /// handshake and waits for its `101 Switching Protocols`.
    pub async fn websocket(&self, request: &WebSocketRequest) -> Result<WebSocket, Error> {
        let limit = request.timeout.or(self.config().timeout);
        let open = self.open_websocket(request);
        match limit {
            Some(limit) => tokio::time::timeout(limit, open)
                .await
                .unwrap_or_else(|_| Err(Error::new(Kind::Timeout))),
            None => open.await,
        }
    }

    async fn open_websocket(&self, request: &WebSocketRequest) -> Result<WebSocket, Error> {
        let mut http_url = request.url.clone();
        let scheme = match request.url.scheme() {
            "ws" | "http" => "http",
            "wss" | "https" => "https",
            other => {
                return Err(Error::new(Kind::Url)
                    .with_context(format!("{other:?} is not a WebSocket scheme (ws, wss)")));
            }
        };
        let _ = http_url.set_scheme(scheme);
        let verify = request.verify_tls.unwrap_or(self.config().verify_tls);
        let stream = self.connect_stream(&http_url, verify).await?;
        let mut ws_url = http_url.clone();
        let _ = ws_url.set_scheme(if scheme == "https" { "wss" } else { "ws" });
        let mut handshake =
            tungstenite::client::IntoClientRequest::into_client_request(ws_url.as_str())
                .map_err(ws_error)?;
        for (name, value) in &self.added_headers(&http_url, &request.headers, true, false) {
            handshake.headers_mut().append(name.clone(), value.clone());
        }
        if !request.protocols.is_empty() {
            let offered = HeaderValue::from_str(&request.protocols.join(", "))
                .map_err(|e| Error::new(Kind::Request).with_source(e))?;
            handshake
                .headers_mut()
                .insert(http::header::SEC_WEBSOCKET_PROTOCOL, offered);
        }
        if let Some(origin) = &request.origin {
            let origin = HeaderValue::from_str(origin)
                .map_err(|e| Error::new(Kind::Request).with_source(e))?;
            handshake.headers_mut().insert(http::header::ORIGIN, origin);
        }
        let max = (request.max_message > 0).then_some(request.max_message);
        let config = WebSocketConfig::default()
            .max_message_size(max)
            .max_frame_size(max);
        let (inner, response) =
            tokio_tungstenite::client_async_with_config(handshake, stream, Some(config))
                .await
                .map_err(ws_error)?;
        let headers = response.headers().clone();
        self.store_cookies(&headers, &http_url);
        let (text, spans) = crate::http2::head_text(&headers);
        let handshake = Response {
            status: response.status(),
            version: http::Version::HTTP_11,
            reason: (0, 0),
            headers: Headers::new(text, spans),
            url: request.url.clone(),
            body: Bytes::new(),
            history: Vec::new(),
            retries: 0,
            received: 0,
            rest: None,
            queued: Duration::ZERO,
        };
        let protocol = headers
            .get(http::header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (sink, stream) = inner.split();
        Ok(WebSocket {
            sink: tokio::sync::Mutex::new(sink),
            stream: tokio::sync::Mutex::new(stream),
            protocol,
            headers,
            handshake,
            close_code: Cell::new(None),
        })
    }
}

impl WebSocket {
    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The handshake's response (`101 Switching Protocols`, its headers, the URL).
    pub fn handshake(&self) -> &Response {
        &self.handshake
    }

    /// The headers of the handshake's response.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The close code, once the socket is closed (by either side).
    pub fn close_code(&self) -> Option<u16> {
        self.close_code.get()
    }

    /// Sends a message (a `Close` sends a close frame: prefer [`WebSocket::close`]).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let wire = match message {
            Message::Text(text) => WireMessage::text(text),
            Message::Binary(bytes) => WireMessage::binary(bytes),
            Message::Ping(bytes) => WireMessage::Ping(bytes),
            Message::Pong(bytes) => WireMessage::Pong(bytes),
            Message::Close(code, reason) => WireMessage::Close(Some(close_frame(code, &reason))),
        };
        self.sink.lock().await.send(wire).await.map_err(ws_error)
    }

    /// The next message; `None` once the socket is closed. A close frame from the peer is
    /// returned as [`Message::Close`] (and answered).
    pub async fn recv(&self) -> Option<Result<Message, Error>> {
        let mut stream = self.stream.lock().await;
        loop {
            let wire = match stream.next().await? {
                Ok(wire) => wire,
                Err(tungstenite::Error::ConnectionClosed) => return None,
                Err(e) => return Some(Err(ws_error(e))),
            };
            let message = match wire {
                WireMessage::Text(text) => Message::Text(text.as_str().to_owned()),
                WireMessage::Binary(bytes) => Message::Binary(bytes),
                WireMessage::Ping(bytes) => Message::Ping(bytes),
                WireMessage::Pong(bytes) => Message::Pong(bytes),
                WireMessage::Close(frame) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.as_str().to_owned())
                    });
                    if self.close_code.get().is_none() {
                        self.close_code.set(Some(code));
                    }
                    Message::Close(code, reason)
                }
                WireMessage::Frame(_) => continue,
            };
            return Some(Ok(message));
        }
    }

    /// Closes with `code` and `reason`, and waits for the peer's close frame (what arrives
    /// before it is dropped).
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        if self.close_code.get().is_none() {
            self.close_code.set(Some(code));
        }
        let frame = WireMessage::Close(Some(close_frame(code, reason)));
        match self.sink.lock().await.send(frame).await {
            // Closed already, or closing since the peer's close frame was answered.
            Ok(())
            | Err(
                tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Protocol(tungstenite::error::ProtocolError::SendAfterClosing),
            ) => {}
            Err(e) => return Err(ws_error(e)),
        }
        let mut stream = self.stream.lock().await;
        while let Some(next) = stream.next().await {
            if next.is_err() {
                break;
            }
        }
        Ok(())
    }
}

fn close_frame(code: u16, reason: &str) -> tungstenite::protocol::CloseFrame {
    tungstenite::protocol::CloseFrame {
        code: code.into(),
        reason: reason.to_owned().into(),
    }
}
