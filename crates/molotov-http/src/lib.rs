//! The HTTP client of molotov: one [`Client`] per worker, as Molotov gives each worker its own
//! `aiohttp.ClientSession`.
//!
//! # Layout
//! - [`client`](Client): the client and its [`ClientConfig`]; sends a [`Request`], follows
//!   redirects, applies timeouts, keeps cookies and a keep-alive pool.
//! - `conn`: one HTTP/1.1 connection (plain or TLS) and the exchange of a request on it.
//! - `websocket` ([`WebSocket`]): the handshake on a connection of the client's, then
//!   `tokio-tungstenite`'s protocol.
//! - `http2`: HTTP/2 (`ClientConfig::http2`): one connection per origin, requests as streams
//!   (h2c for `http://`, ALPN over TLS), on the `h2` crate; its driver is a task of its own.
//! - `codec`: request encoding, response head parsing and chunked decoding on `httparse`
//!   (pure functions over buffers).
//! - `pool`: idle connections by origin. `cookie`: the jar.
//! - [`tls`](TlsContext): rustls configurations shared by every client of a process.
//! - [`error`](Error): the opaque error, classified by [`Kind`] for statistics.
//! - [`response`](Response): status, [`Headers`] kept in their raw bytes, body, history.
//! - `wire`: the response decoder as a pure function of the bytes received, for property tests
//!   and fuzzing only (hidden, not a stable API).
//!
//! # Data flow
//! `Client::send(&Request)` → take an idle connection for the origin (or connect: DNS, TCP,
//! TLS) → encode the head into the connection's write buffer → write → read and parse the head
//! → read the body as framed → return the connection to the pool if it stays open → store the
//! cookies → follow a redirect if there is one → [`Response`].
//!
//! Everything runs inside the caller's task: no connection task, no channel. The client is
//! `!Send` and lives on the worker's thread.
//!
//! ```no_run
//! # async fn demo() -> Result<(), molotov_http::Error> {
//! use molotov_http::{Client, ClientConfig, Request};
//! let client = Client::new(ClientConfig::default());
//! let url = "http://127.0.0.1:8080/".parse().expect("a valid URL");
//! let response = client.send(&Request::new(http::Method::GET, url)).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```

mod body;
mod chunked;
mod client;
mod conn;
mod connect;
mod cookie;
mod decode;
mod encode;
mod error;
mod head;
mod http2;
mod pool;
mod request;
mod response;
mod streamed;
mod tls;
mod websocket;
#[doc(hidden)]
pub mod wire;

pub use body::DEFAULT_MAX_BODY;
pub use chunked::{MAX_CHUNK_LINE, MAX_TRAILERS};
pub use client::{Client, ClientConfig};
pub use connect::ConnectTo;
pub use decode::ACCEPT_ENCODING;
pub use error::{Error, Kind};
pub use head::{MAX_HEAD, MAX_HEADERS};
pub use request::Request;
pub use response::{Headers, Response};
pub use tls::TlsContext;
pub use websocket::{Message, WebSocket, WebSocketRequest};

pub use bytes::Bytes;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
pub use url::Url;
