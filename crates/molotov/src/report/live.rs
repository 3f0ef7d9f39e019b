//! `--web [HOST:]PORT`: the report page served while the run lasts. `GET /` is the page,
//! `GET /data.json` its latest data (refreshed once a second through a [`Publisher`], only
//! while a page polls it); the page polls it. When the run ends the final data is published
//! with `"live": false`, and the server lingers until a page that was polling fetched it (or
//! a moment passed), then stops.
//!
//! Threads of its own, off the engine's: an accepting thread, and one short-lived thread per
//! connection (at most [`MAX_CONNECTIONS`] at once), which reads one request head within a size
//! limit and a total deadline, answers, and closes. On a loopback address, requests naming
//! another host are refused (a page elsewhere cannot read the data through DNS rebinding).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head, in all.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// Connections answered at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;
/// How long the server waits, once the run ended, for a page that polled lately to fetch
/// the final data.
const LINGER: Duration = Duration::from_millis(2500);
/// A page that polled within this is watching.
const WATCHING: Duration = Duration::from_secs(3);

struct State {
    /// The page with the data of its first publication embedded (`"live": true`).
    page: Mutex<Arc<String>>,
    /// The latest data, and its publication number.
    data: Mutex<(Arc<String>, u64)>,
    published: AtomicU64,
    /// The highest publication number served, to tell `finish` the final data went out.
    served: Mutex<u64>,
    served_changed: Condvar,
    stop: AtomicBool,
    /// Milliseconds since `epoch` of the last `data.json` served (0: never).
    polled_ms: AtomicU64,
    epoch: Instant,
    /// Connections being answered.
    connections: AtomicUsize,
    /// Whether requests must name a loopback host.
    loopback: bool,
}

/// The live page's server.
pub(crate) struct LivePage {
    state: Arc<State>,
    address: SocketAddr,
    /// Until [`LivePage::serve`] hands it to the thread.
    listener: Option<TcpListener>,
    thread: Option<JoinHandle<()>>,
}

impl LivePage {
    /// Listens on `address` (before any load is sent, so a port in use is a usage error);
    /// answers once [`serve`](LivePage::serve) started its thread (after `-p` forked: a
    /// process forks with no thread of ours but the engine's).
    pub(crate) fn bind(address: SocketAddr, first: &Value) -> std::io::Result<LivePage> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            page: Mutex::new(Arc::new(super::page(first))),
            data: Mutex::new((Arc::new(first.to_string()), 0)),
            published: AtomicU64::new(0),
            served: Mutex::new(0),
            served_changed: Condvar::new(),
            stop: AtomicBool::new(false),
            polled_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            connections: AtomicUsize::new(0),
            loopback: address.ip().is_loopback(),
        });
        Ok(LivePage {
            state,
            address,
            listener: Some(listener),
            thread: None,
        })
    }

    /// Starts answering, on a thread of its own.
    pub(crate) fn serve(&mut self) -> std::io::Result<()> {
        let Some(listener) = self.listener.take() else {
            return Ok(());
        };
        let serving = self.state.clone();
        self.thread = Some(
            std::thread::Builder::new()
                .name("molotov-web".into())
                .spawn(move || accept(&listener, &serving))?,
        );
        Ok(())
    }

    /// Where it listens.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// A handle that publishes new data from another thread.
    pub(crate) fn publisher(&self) -> Publisher {
        Publisher(self.state.clone())
    }

    /// Publishes the final data (the page itself becomes the final report), waits for a page
    /// that was polling to fetch it (at most [`LINGER`]), and stops.
    pub(crate) fn finish(mut self, data: &Value) {
        if let Ok(mut page) = self.state.page.lock() {
            *page = Arc::new(super::page(data));
        }
        let number = self.publisher().publish(data);
        if self.publisher().is_watched() && self.thread.is_some() {
            let served = self
                .state
                .served
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let _ = self
                .state
                .served_changed
                .wait_timeout_while(served, LINGER, |served| *served < number);
        }
        self.stop();
    }

    fn stop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A connection of our own wakes the accept so the thread sees the stop.
            let _ = TcpStream::connect_timeout(&reachable(self.address), HEAD_DEADLINE);
            let _ = thread.join();
        }
    }
}

impl Drop for LivePage {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes the data the live page fetches.
pub(crate) struct Publisher(Arc<State>);

impl Publisher {
    /// Replaces the data pages fetch; its publication number.
    pub(crate) fn publish(&self, data: &Value) -> u64 {
        let text = Arc::new(data.to_string());
        let number = self.0.published.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut slot) = self.0.data.lock() {
            *slot = (text, number);
        }
        number
    }

    /// Whether a page polled lately: otherwise there is no need to make new data.
    pub(crate) fn is_watched(&self) -> bool {
        let polled = self.0.polled_ms.load(Ordering::SeqCst);
        polled > 0
            && self
                .0
                .epoch
                .elapsed()
                .saturating_sub(Duration::from_millis(polled))
                < WATCHING
    }
}

/// The address to connect to for `address` (a wildcard address is reached on loopback).
fn reachable(address: SocketAddr) -> SocketAddr {
    let mut to = address;
    if to.ip().is_unspecified() {
        to.set_ip(if to.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    to
}

fn accept(listener: &TcpListener, state: &Arc<State>) {
    for stream in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        match stream {
            Ok(stream) => {
                if state.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    state.connections.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let answering = state.clone();
                let spawned = std::thread::Builder::new()
                    .name("molotov-web-conn".into())
                    .spawn(move || {
                        // A client's mistake or disconnection is its own loss.
                        let _ = answer(stream, &answering);
                        answering.connections.fetch_sub(1, Ordering::SeqCst);
                    });
                if spawned.is_err() {
                    state.connections.fetch_sub(1, Ordering::SeqCst);
                }
            }
            // Out of files (the load generator may be), say: wait rather than spin.
            Err(_) => pause(Duration::from_millis(50)),
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the accepting thread is ours, not a runtime's: it may sleep"
)]
fn pause(d: Duration) {
    std::thread::sleep(d);
}

/// What a request asked for.
struct Asked {
    head_only: bool,
    path: String,
}

fn answer(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_write_timeout(Some(HEAD_DEADLINE))?;
    let asked = match read_head(&mut stream, state.loopback)? {
        Ok(asked) => asked,
        Err((status, text)) => {
            return respond(&mut stream, status, "text/plain", text.as_bytes(), false);
        }
    };
    let head_only = asked.head_only;
    match asked.path.split('?').next().unwrap_or("/") {
        "/" | "/index.html" => {
            let page = state.page.lock().map(|p| p.clone()).unwrap_or_default();
            let html = "text/html; charset=utf-8";
            respond(&mut stream, "200 OK", html, page.as_bytes(), head_only)
        }
        "/data.json" => {
            let (data, number) = state
                .data
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let now = u64::try_from(state.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            state.polled_ms.store(now.max(1), Ordering::SeqCst);
            let sent = respond(
                &mut stream,
                "200 OK",
                "application/json",
                data.as_bytes(),
                head_only,
            );
            if sent.is_ok() && !head_only {
                let mut served = state.served.lock().unwrap_or_else(PoisonError::into_inner);
                *served = (*served).max(number);
                state.served_changed.notify_all();
            }
            sent
        }
        _ => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            head_only,
        ),
    }
}

/// Reads one request head within [`MAX_HEAD`] bytes and [`HEAD_DEADLINE`]; what it asked, or
/// the status and text to refuse it with.
fn read_head(
    stream: &mut TcpStream,
    loopback: bool,
) -> std::io::Result<Result<Asked, (&'static str, &'static str)>> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Err(("408 Request Timeout", "too slow\n")));
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {
                let head_only = match request.method {
                    Some("GET") => false,
                    Some("HEAD") => true,
                    _ => return Ok(Err(("405 Method Not Allowed", "GET only\n"))),
                };
                if loopback && !names_loopback(request.headers) {
                    return Ok(Err((
                        "421 Misdirected Request",
                        "this page is for localhost\n",
                    )));
                }
                let path = request.path.unwrap_or("/").to_owned();
                return Ok(Ok(Asked { head_only, path }));
            }
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Ok(Err(("431 Request Header Fields Too Large", "too large\n")));
            }
            Err(_) => return Ok(Err(("400 Bad Request", "bad request\n"))),
        }
    }
}

/// Whether the request's `Host` names this machine's loopback (no `Host`, as HTTP/1.0 may
/// send, is a local client too).
fn names_loopback(headers: &[httparse::Header<'_>]) -> bool {
    let Some(host) = headers.iter().find(|h| h.name.eq_ignore_ascii_case("host")) else {
        return true;
    };
    let host = String::from_utf8_lossy(host.value);
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(&*host, |(name, _)| name),
    };
    matches!(name, "localhost" | "127.0.0.1" | "::1")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    kind: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; \
         style-src 'unsafe-inline'; img-src data:; connect-src 'self'\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests;
