//! Helpers: the bundled target, request builders, and a tiny scripted raw server for the
//! behaviours the target cannot produce (a stale keep-alive connection, odd but valid heads).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use molotov_http::{Client, ClientConfig, Method, Request, Response, Url};
use molotov_target::{Target, TargetConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A plain HTTP target on its own thread.
pub(crate) fn target() -> Target {
    Target::start(TargetConfig {
        tls: false,
        threads: 1,
    })
    .unwrap()
}

/// An HTTPS target with a self-signed certificate.
pub(crate) fn tls_target() -> Target {
    Target::start(TargetConfig {
        tls: true,
        threads: 1,
    })
    .unwrap()
}

/// A client with the default configuration.
pub(crate) fn client() -> Client {
    Client::new(ClientConfig::default())
}

/// Parses an absolute URL.
pub(crate) fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

/// A `method` request to `text`.
pub(crate) fn request(method: Method, text: &str) -> Request {
    Request::new(method, url(text))
}

/// A GET request to `text`.
pub(crate) fn get(text: &str) -> Request {
    request(Method::GET, text)
}

/// The body of `response` as JSON.
pub(crate) fn json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|error| {
        panic!("body is not JSON ({error}): {:?}", response.text().as_ref())
    })
}

/// A port nothing listens on: bound, read, released.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// What the raw server does on one connection: for each reply, read one request and write the
/// reply; then close the connection.
pub(crate) type Script = Vec<&'static [u8]>;

/// A scripted server: the n-th accepted connection follows the n-th script; connections past
/// the last script are closed at once. Runs as a task of the test's runtime; aborted on drop.
pub(crate) struct RawServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Binds `127.0.0.1:0` and serves `scripts` in the background.
    pub(crate) async fn start(scripts: Vec<Script>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let connections = connections.clone();
            let requests = requests.clone();
            async move {
                let mut scripts = scripts.into_iter();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let script = scripts.next().unwrap_or_default();
                    tokio::spawn(play(stream, script, requests.clone()));
                }
            }
        });
        RawServer {
            addr,
            connections,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Complete requests read so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn play(mut stream: TcpStream, script: Script, requests: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    for reply in script {
        if !read_request(&mut stream, &mut buf).await {
            return;
        }
        requests.fetch_add(1, Ordering::SeqCst);
        if stream.write_all(reply).await.is_err() {
            return;
        }
    }
    let _ = stream.shutdown().await;
}

/// Reads one request (head and `Content-Length` body) off the front of `buf` and the stream;
/// `false` if the connection ends first.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4) {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + length {
                buf.drain(..end + length);
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// An HTTPS server that reads its one request slowly (a few KB per scheduling turn), so the
/// client's socket stays full while it uploads; answers with the number of body bytes it got.
pub(crate) struct SlowTlsSink {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl SlowTlsSink {
    pub(crate) async fn start() -> SlowTlsSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tls_acceptor();
        let task = tokio::spawn(async move {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                return;
            };
            let mut received = Vec::new();
            let mut chunk = [0u8; 2048];
            let mut body = None;
            loop {
                if body.is_none() {
                    if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|line| line.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        body = Some((end + 4, length));
                    }
                }
                if let Some((start, length)) = body {
                    if received.len() >= start + length {
                        let text = (received.len() - start).to_string();
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        let _ = stream.write_all(reply.as_bytes()).await;
                        let _ = stream.flush().await;
                        return;
                    }
                }
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                }
                tokio::task::yield_now().await;
            }
        });
        SlowTlsSink { addr, task }
    }

    /// `https://127.0.0.1:PORT` followed by `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

impl Drop for SlowTlsSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TLS acceptor with a fresh self-signed certificate.
fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
