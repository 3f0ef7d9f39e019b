//! `--prometheus-listen [HOST:]PORT`: `GET /metrics` answered with the latest metrics in
//! Prometheus' text format while the run lasts.
//!
//! One thread of its own (started by [`MetricsListener::serve`], after `-p` forked), which
//! answers one connection at a time: it reads one request head within a size limit and a
//! deadline, answers and closes. Publishing a snapshot (each second, on the engine's thread)
//! only keeps it; the text is rendered on this thread when it is asked for, so a test with many
//! request names costs the engine nothing for it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::metrics::{Source, families};
use super::prometheus::{Common, text};

/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a scraper may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(2);

struct State {
    latest: Mutex<Arc<Published>>,
    stop: AtomicBool,
}

/// The latest snapshot's sources, with the run id.
#[derive(Default)]
struct Published {
    sources: Vec<Source>,
    run_id: String,
}

impl Published {
    /// The text `/metrics` answers.
    fn render(&self) -> String {
        let common = Common {
            run_id: &self.run_id,
            sources: &self.sources,
        };
        text(&families(&self.sources), &common)
    }
}

/// The `/metrics` server.
pub(crate) struct MetricsListener {
    state: Arc<State>,
    address: SocketAddr,
    listener: Option<TcpListener>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsListener {
    /// Listens on `address` (before any load, so that a port in use is a usage error).
    pub(crate) fn bind(address: SocketAddr) -> std::io::Result<MetricsListener> {
        let listener = TcpListener::bind(address)?;
        Ok(MetricsListener {
            address: listener.local_addr()?,
            state: Arc::new(State {
                latest: Mutex::new(Arc::default()),
                stop: AtomicBool::new(false),
            }),
            listener: Some(listener),
            thread: None,
        })
    }

    /// Starts answering.
    pub(crate) fn serve(&mut self) -> std::io::Result<()> {
        if let Some(listener) = self.listener.take() {
            let state = self.state.clone();
            self.thread = Some(
                std::thread::Builder::new()
                    .name("molotov-metrics".into())
                    .spawn(move || accept(&listener, &state))?,
            );
        }
        Ok(())
    }

    /// Itself, answering; `None`, with a warning line, when its thread cannot start.
    pub(crate) fn serving(mut self) -> Option<MetricsListener> {
        match self.serve() {
            Ok(()) => Some(self),
            Err(e) => {
                crate::display::eprint_line(&format!("warning: /metrics is not served: {e}"));
                None
            }
        }
    }

    /// The address it listens on (its port, when 0 was asked for).
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// What `/metrics` answers from now on: the metrics of `sources`.
    pub(crate) fn publish(&self, sources: &[Source], run_id: &str) {
        let published = Arc::new(Published {
            sources: sources.to_vec(),
            run_id: run_id.to_owned(),
        });
        *self
            .state
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = published;
    }
}

impl Drop for MetricsListener {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // Wakes the accepting thread up.
            let _ = TcpStream::connect_timeout(&reachable(self.address), HEAD_DEADLINE);
            let _ = thread.join();
        }
    }
}

/// The address to connect to in order to reach a listener on `address` (an unspecified
/// address is reached on loopback).
fn reachable(address: SocketAddr) -> SocketAddr {
    let mut to = address;
    if to.ip().is_unspecified() {
        to.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    to
}

fn accept(listener: &TcpListener, state: &State) {
    for stream in listener.incoming() {
        if state.stop.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(stream) = stream {
            let _ = answer(stream, state);
        }
    }
}

fn answer(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    let deadline = Instant::now() + HEAD_DEADLINE;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0_u8; 1024];
    let path = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || head.len() > MAX_HEAD {
            return Ok(());
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {
                let method = request.method.unwrap_or("");
                let path = request.path.unwrap_or("");
                break (method == "GET").then(|| path.split('?').next().unwrap_or("").to_owned());
            }
            Ok(httparse::Status::Partial) => {}
            Err(_) => break None,
        }
    };
    stream.set_write_timeout(Some(HEAD_DEADLINE))?;
    let (status, body) = match path.as_deref() {
        Some("/metrics") => {
            let latest = state
                .latest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            ("200 OK", latest.render())
        }
        Some(_) => ("404 Not Found", "Not found: try /metrics\n".to_owned()),
        None => ("400 Bad Request", "Bad request\n".to_owned()),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
