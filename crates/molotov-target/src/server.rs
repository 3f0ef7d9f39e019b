//! The accept loop: every accepted connection becomes a task that speaks HTTP/1.1 or HTTP/2.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::config::TargetConfig;
use crate::counters::Counters;
use crate::raw;
use crate::routes::{self, AppState};
use crate::tls;

/// How long a client may take over its TLS handshake.
const HANDSHAKE_PATIENCE: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// One hyper builder for both protocols: it reads the HTTP/2 preface to pick (h2c prior
/// knowledge in plaintext; with TLS the client's ALPN choice leads to the same preface).
type Http = auto::Builder<TokioExecutor>;

/// Serves on an already-bound listener until `shutdown` completes.
///
/// Counts into `counters`; `config.threads` is ignored here since the caller owns the runtime.
/// Fails only if TLS cannot be set up: a failed accept or a broken connection never stops the
/// loop. On shutdown the open connections are dropped with the returned future.
pub async fn serve(
    listener: TcpListener,
    config: TargetConfig,
    counters: Arc<Counters>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let tls = if config.tls {
        Some(tls::acceptor()?)
    } else {
        None
    };
    run(listener, tls, counters, shutdown).await;
    Ok(())
}

/// The accept loop, with TLS already set up (so `Target::start` can report TLS errors).
pub(crate) async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    counters: Arc<Counters>,
    shutdown: impl Future<Output = ()>,
) {
    let state = Arc::new(AppState::new(counters));
    let http = Arc::new(Http::new(TokioExecutor::new()));
    // Owning the connection tasks means they end with this future, not with the runtime.
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    state.counters.count_connection();
                    connections.spawn(connection(stream, tls.clone(), state.clone(), http.clone()));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            // Reaps finished connections so the set does not grow with every one ever served.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one accepted connection to its end; errors only end this connection.
async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    state: Arc<AppState>,
    http: Arc<Http>,
) {
    // Small JSON answers must leave at once, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    match tls {
        None => {
            if raw::detect(&stream).await.is_some() {
                raw::misbehave(stream, &state.counters).await;
            } else {
                serve_http(TokioIo::new(stream), state, &http).await;
            }
        }
        Some(acceptor) => {
            if let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_PATIENCE, acceptor.accept(stream)).await
            {
                serve_http(TokioIo::new(stream), state, &http).await;
            }
        }
    }
}

/// Runs hyper on one connection with the routes as its service.
async fn serve_http<I>(io: I, state: Arc<AppState>, http: &Http)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(routes::handle(request, state).await) }
    });
    // A client hanging up mid-request is its business, not the server's.
    let _ = http.serve_connection_with_upgrades(io, service).await;
}
