//! `molotov-target`: the HTTP server that load tests, demos, benchmarks and test suites aim at.
//!
//! It ships as a library so other crates' tests can start it in-process ([`Target::start`]),
//! and as the `molotov-target` binary ([`cli`]) so scripts and the Python package run the very
//! same server.
//!
//! How a request flows through the modules:
//!
//! - `target` — [`Target`]: owns a thread with its own tokio runtime, binds `127.0.0.1:0`,
//!   runs [`serve`] on it and stops it on drop; exposes the [`Counters`] to tests.
//! - `cli` — [`cli`]: parses the command line, binds the requested address, prints the one
//!   "listening on" line and runs [`serve`] until SIGINT/SIGTERM.
//! - `server` — [`serve`]: the accept loop. Counts connections, sets `TCP_NODELAY`, does the
//!   TLS handshake (via `tls`) or asks `raw` whether the connection wants a misbehaviour, then
//!   hands the connection to hyper (HTTP/1.1 keep-alive or HTTP/2) with `routes` as the service.
//! - `tls` — a self-signed certificate for `localhost`/`127.0.0.1` and the rustls config
//!   offering ALPN `h2` and `http/1.1`.
//! - `raw` — peeks the first request line of a plaintext connection; a connection asking for
//!   a misbehaviour is served by hand, request after request.
//! - `hostile` — the misbehaviours: broken HTTP (`/malformed`, `/truncated`, `/drop`,
//!   `/garbage`, `/garbage-status`, `/bad-chunk`, `/reset-head`, `/slow-head`, `/never`) and
//!   hostile HTTP that tries to desynchronise or exhaust a client (`/extra-response`,
//!   `/long-body`, `/late-bytes`, `/close-after`, `/huge-length`, `/huge-chunk`,
//!   `/endless-chunk-line`, `/endless-trailers`, `/endless-body`, `/big-head`, `/te-and-cl`,
//!   `/stall-body`).
//! - `routes` — maps a request to an endpoint, counts it in [`Counters`] and answers the hot
//!   path `/` from a precomputed body.
//! - `endpoints` — the endpoint handlers (`/delay`, `/status`, `/echo`, `/redirect`,
//!   `/cookies`, `/basic-auth`, `/bytes`, `/chunked`, `/limit`, `/close`, `/stats`).
//! - `websocket` — `/ws`: a WebSocket echo (`close` makes the server close), on hyper's
//!   upgrade and `tokio-tungstenite`.
//! - `responses` — JSON answers, error bodies and the constant bodies of the hot path.
//! - `query` — query-string splitting and percent-decoding for the endpoints.
//! - `body` — the response body type: one buffer, or a buffer streamed as several chunks.
//! - `counters` — [`Counters`]: request, per-path and connection counts shared by the server
//!   and whoever watches it.
//! - `config` — [`TargetConfig`]: TLS on/off and the runtime's worker thread count.

mod body;
mod cli;
mod config;
mod counters;
mod endpoints;
mod hostile;
mod query;
mod raw;
mod responses;
mod routes;
mod server;
mod target;
mod tls;
mod websocket;

pub use cli::{cli, cli_status};
pub use config::TargetConfig;
pub use counters::{ARRIVAL_BUCKET, Counters};
pub use server::serve;
pub use target::Target;
