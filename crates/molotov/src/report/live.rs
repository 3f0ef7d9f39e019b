//! `--web [HOST:]PORT`: the report page served while the run lasts. `GET /` is the page,
//! `GET /data.json` its latest data (refreshed once a second by [`LivePage::publish`]); the
//! page polls it. When the run ends the final data is published with `"live": false`, and
//! the server lingers a moment so that an open page fetches it, then stops.
//!
//! A thread of its own, off the engine's: a request is read with a size limit and a timeout,
//! answered, and the connection closed.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server waits, once the run ended, for a page that polled lately to fetch
/// the final data.
const LINGER: Duration = Duration::from_millis(2500);

struct State {
    /// The page with the data of its first publication embedded (`"live": true`).
    page: Mutex<Arc<String>>,
    data: Mutex<Arc<String>>,
    stop: AtomicBool,
    /// Milliseconds since `epoch` of the last `data.json` served.
    polled_ms: AtomicU64,
    /// Told (when it has room) each time `data.json` is served.
    served: mpsc::SyncSender<()>,
    epoch: Instant,
}

/// The running server.
pub(crate) struct LivePage {
    state: Arc<State>,
    address: SocketAddr,
    /// Until [`LivePage::serve`] hands it to the thread.
    listener: Option<TcpListener>,
    thread: Option<JoinHandle<()>>,
    served: mpsc::Receiver<()>,
}

impl LivePage {
    /// Listens on `address` (before any load is sent, so a port in use is a usage error);
    /// answers once [`serve`](LivePage::serve) started its thread (after `-p` forked: a
    /// process forks with no thread of ours but the engine's).
    pub(crate) fn bind(address: SocketAddr, first: &Value) -> std::io::Result<LivePage> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let (tell, served) = mpsc::sync_channel(1);
        let state = Arc::new(State {
            page: Mutex::new(Arc::new(super::page(first))),
            data: Mutex::new(Arc::new(first.to_string())),
            stop: AtomicBool::new(false),
            polled_ms: AtomicU64::new(0),
            served: tell,
            epoch: Instant::now(),
        });
        Ok(LivePage {
            state,
            address,
            listener: Some(listener),
            thread: None,
            served,
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
                .spawn(move || serve(&listener, &serving))?,
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

    fn publish(&self, data: &Value) {
        self.publisher().publish(data);
    }

    /// Publishes the final data (the page itself becomes the final report), waits a moment
    /// for a page that was polling to fetch it, and stops.
    pub(crate) fn finish(mut self, data: &Value) {
        let page = Arc::new(super::page(data));
        if let Ok(mut slot) = self.state.page.lock() {
            *slot = page;
        }
        while self.served.try_recv().is_ok() {}
        self.publish(data);
        let since_poll = self
            .state
            .epoch
            .elapsed()
            .saturating_sub(Duration::from_millis(
                self.state.polled_ms.load(Ordering::SeqCst),
            ));
        let watched =
            self.state.polled_ms.load(Ordering::SeqCst) > 0 && since_poll < Duration::from_secs(3);
        if watched {
            let _ = self.served.recv_timeout(LINGER);
        }
        self.stop();
    }

    fn stop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A connection of our own wakes the accept so the thread sees the stop.
            let _ = TcpStream::connect_timeout(&wakeable(self.address), READ_TIMEOUT);
            let _ = thread.join();
        }
    }
}

/// Publishes the data the live page fetches.
pub(crate) struct Publisher(Arc<State>);

impl Publisher {
    /// Replaces the data pages fetch.
    pub(crate) fn publish(&self, data: &Value) {
        if let Ok(mut slot) = self.0.data.lock() {
            *slot = Arc::new(data.to_string());
        }
    }
}

impl Drop for LivePage {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address to connect to for `address` (a wildcard address is reached on loopback).
fn wakeable(address: SocketAddr) -> SocketAddr {
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

fn serve(listener: &TcpListener, state: &State) {
    for stream in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        // A failed accept (out of files, say) or exchange is the client's loss only.
        if let Ok(stream) = stream {
            let _ = answer(stream, state);
        }
    }
}

fn answer(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let path = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {
                break (request.method == Some("GET") || request.method == Some("HEAD"))
                    .then(|| request.path.unwrap_or("/").to_owned());
            }
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => {}
            _ => {
                return respond(
                    &mut stream,
                    "400 Bad Request",
                    "text/plain",
                    b"bad request\n",
                );
            }
        }
    };
    let Some(path) = path else {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
        );
    };
    let path = path.split('?').next().unwrap_or("/");
    match path {
        "/" | "/index.html" => {
            let page = state.page.lock().map(|p| p.clone()).unwrap_or_default();
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                page.as_bytes(),
            )
        }
        "/data.json" => {
            let data = state.data.lock().map(|d| d.clone()).unwrap_or_default();
            let now = u64::try_from(state.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            state.polled_ms.store(now.max(1), Ordering::SeqCst);
            let result = respond(&mut stream, "200 OK", "application/json", data.as_bytes());
            let _ = state.served.try_send(());
            result
        }
        _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n"),
    }
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; \
         style-src 'unsafe-inline'; img-src data:; connect-src 'self'\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
