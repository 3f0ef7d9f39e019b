//! A target server inside the current process, for tests, demos and benchmarks.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::TargetConfig;
use crate::counters::Counters;
use crate::{server, tls};

/// A server running on its own thread with its own tokio runtime, bound to `127.0.0.1:0`;
/// stops on drop.
///
/// Its own runtime keeps it independent of the caller's: a synchronous test can use it, and
/// an async test's runtime does not also carry the server's load.
#[derive(Debug)]
pub struct Target {
    addr: SocketAddr,
    tls: bool,
    counters: Arc<Counters>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Target {
    /// Binds `127.0.0.1:0` and starts serving; the port is known (and accepting) on return.
    pub fn start(config: TargetConfig) -> std::io::Result<Target> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name("molotov-target-worker")
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            // Registering with the reactor needs the runtime's context.
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let tls = if config.tls {
            Some(tls::acceptor()?)
        } else {
            None
        };
        let counters = Arc::new(Counters::new());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("molotov-target".to_owned())
            .spawn({
                let counters = counters.clone();
                move || {
                    runtime.block_on(server::run(listener, tls, counters, async {
                        // A dropped sender means the same as a sent stop.
                        let _ = stopped.await;
                    }));
                }
            })?;
        Ok(Target {
            addr,
            tls: config.tls,
            counters,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (or `https://` with TLS) followed by `path`.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// Requests counted so far (every request except `GET /stats`).
    pub fn requests(&self) -> u64 {
        self.counters.requests()
    }

    /// Requests counted so far for one path; a query string in `path` is ignored.
    pub fn requests_to(&self, path: &str) -> u64 {
        self.counters.requests_to(path)
    }

    /// Requests counted so far that came over HTTP/2.
    pub fn http2_requests(&self) -> u64 {
        self.counters.http2_requests()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.counters.connections()
    }

    /// Requests per 10 ms ([`crate::ARRIVAL_BUCKET`]) since the server started.
    pub fn arrivals(&self) -> Vec<u64> {
        self.counters.arrivals()
    }

    /// Stops the server, like dropping it, but explicit at the call site.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Target {
    /// Stops accepting, drops every connection and waits for the server thread to end, so
    /// the port is closed when this returns.
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
