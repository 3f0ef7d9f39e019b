//! The client: one per worker, as Molotov gives each worker its own `aiohttp.ClientSession`.
//!
//! It owns its keep-alive pool, its cookie jar and its DNS cache, and is used from the worker's
//! thread only (`!Send`, interior `RefCell`s that are never borrowed across an `.await`).
//! Rare paths (opening a connection, following redirects, chunked bodies) are boxed futures so
//! that the future of a plain keep-alive request stays small: ten thousand workers each hold one
//! while they wait for their response.
//!
//! A request sent on a kept-alive connection that the server had closed (nothing came back) is
//! sent again once on a new connection, and counted ([`Response::retries`]), only when its
//! method is idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE, TRACE); anything
//! else fails with `closed`, as aiohttp does, since the server may have acted on it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, Method};
use url::{Host, Url};

use crate::body::{BodyReader, DEFAULT_MAX_BODY};
use crate::conn::Conn;
use crate::connect::{ConnectTo, Dialer};
use crate::cookie::Jar;
use crate::decode::{ACCEPT_ENCODING, Coding, Decoder};
use crate::encode::{self, Added};
use crate::error::{Error, Kind};
use crate::head::{Framing, Head};
use crate::pool::{Origin, OriginRef, Pool, Security};
use crate::request::Request;
use crate::response::{Headers, Response};
use crate::streamed::Rest;
use crate::tls::TlsContext;
use redirect::is_redirect;

mod multiplexed;
mod redirect;
mod upgrade;

/// How a client behaves; plain data with defaults matching aiohttp's where a load test cares.
#[derive(Clone, Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, each aiohttp's or a command-line flag"
)]
pub struct ClientConfig {
    /// Headers sent with every request (a request's own headers of the same name win).
    pub headers: HeaderMap,
    /// Cookies sent to every host, before any the servers set.
    pub cookies: Vec<(String, String)>,
    /// Timeout of a whole request, redirects included (aiohttp's default: 5 minutes).
    pub timeout: Option<Duration>,
    /// Timeout of opening one connection (TCP and TLS).
    pub connect_timeout: Option<Duration>,
    /// Follow redirects by default.
    pub follow_redirects: bool,
    /// The most redirects followed for one request.
    pub max_redirects: usize,
    /// Verify server certificates and host names.
    pub verify_tls: bool,
    /// The `User-Agent` sent when neither the request nor `headers` set one.
    pub user_agent: String,
    /// The process-wide TLS configurations.
    pub tls: TlsContext,
    /// Connections to these origins go elsewhere (curl's `--connect-to`); requests keep their
    /// URL, `Host` header and TLS server name.
    pub connect_to: Vec<ConnectTo>,
    /// The largest response body accepted, as received and once decoded (default 1 GiB);
    /// a larger one fails with `too-large`, with bounded memory.
    pub max_body: u64,
    /// Ask for compressed responses (`Accept-Encoding: gzip, deflate, br`) and decompress
    /// them (aiohttp's `auto_decompress`, on by default).
    pub auto_decompress: bool,
    /// Speak HTTP/2: offered by ALPN over TLS (the server picks), with prior knowledge (h2c)
    /// for `http://` URLs. One connection per origin carries every request as a stream.
    pub http2: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            headers: HeaderMap::new(),
            cookies: Vec::new(),
            timeout: Some(Duration::from_secs(300)),
            connect_timeout: None,
            follow_redirects: true,
            max_redirects: 10,
            verify_tls: true,
            user_agent: concat!("molotov/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: TlsContext::default(),
            connect_to: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
            auto_decompress: true,
            http2: false,
        }
    }
}

/// An HTTP/1.1 (and, when asked, HTTP/2) client with keep-alive, cookies, redirects, timeouts, compression and TLS.
pub struct Client {
    config: ClientConfig,
    /// Shared with the responses that are still reading their body (see
    /// [`Client::send_streamed`]): their connection comes back here when it is done.
    pool: Rc<RefCell<Pool>>,
    jar: RefCell<Jar>,
    dialer: Dialer,
    /// HTTP/2 connections, when `config.http2`.
    h2: crate::http2::Connections,
}

/// Responses up to this size (head and body) are copied out of the read buffer in one small
/// allocation, so the buffer stays the connection's own and is reused; larger ones are split
/// off without a copy.
const COPY_LIMIT: usize = 16 * 1024;

/// How one request is sent, beyond what it says itself.
#[derive(Debug, Clone, Copy)]
struct Options {
    /// Verify the server's certificate.
    verify: bool,
    /// Add the client's default headers.
    default_headers: bool,
}

/// A response whose head was read (it is still at the front of `conn.rbuf`) on a connection
/// that still carries its body.
pub(crate) struct Started {
    pub(crate) conn: Conn,
    pub(crate) head: Head,
    pub(crate) reader: BodyReader,
    pub(crate) origin: Origin,
    /// `conn.received` when the request was sent: what was received since is this response's.
    pub(crate) received_before: u64,
    pub(crate) retries: u32,
}

impl Client {
    /// A client with `config`.
    pub fn new(mut config: ClientConfig) -> Self {
        let cookies = std::mem::take(&mut config.cookies);
        Client {
            config,
            pool: Rc::default(),
            jar: RefCell::new(Jar::with_fixed(cookies)),
            dialer: Dialer::default(),
            h2: crate::http2::Connections::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sends `request` and reads the whole response, following redirects unless told not to.
    ///
    /// Cancel safety: dropping the future closes the connection it was using.
    pub async fn send(&self, request: &Request) -> Result<Response, Error> {
        self.with_timeout(request, self.send_following(request, u64::MAX))
            .await
    }

    /// Sends `request` and reads its response's head and at most `eager` bytes of its body:
    /// a longer body is read as the caller asks for it ([`Response::chunk`]), so a large
    /// download takes constant memory. The request's timeout covers reading the head (and any
    /// redirects); reading the rest of the body is the caller's to bound.
    pub async fn send_streamed(&self, request: &Request, eager: u64) -> Result<Response, Error> {
        self.with_timeout(request, self.send_following(request, eager))
            .await
    }

    async fn with_timeout(
        &self,
        request: &Request,
        exchange: impl Future<Output = Result<Response, Error>>,
    ) -> Result<Response, Error> {
        match request.timeout.or(self.config.timeout) {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| Err(Error::new(Kind::Timeout))),
            None => exchange.await,
        }
    }

    async fn send_following(&self, request: &Request, eager: u64) -> Result<Response, Error> {
        let verify = request.verify_tls.unwrap_or(self.config.verify_tls);
        let follow = request
            .follow_redirects
            .unwrap_or(self.config.follow_redirects);
        let response = self
            .exchange(
                &request.method,
                &request.url,
                &request.headers,
                &request.body,
                Options {
                    verify,
                    default_headers: request.default_headers,
                },
                eager,
            )
            .await?;
        if follow && is_redirect(response.status) && response.headers.contains("location") {
            return Box::pin(self.follow(request, response, eager)).await;
        }
        Ok(response)
    }

    /// One request, one response, on a pooled or new connection, with at most `eager` bytes
    /// of the body read before returning.
    async fn exchange(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        options: Options,
        eager: u64,
    ) -> Result<Response, Error> {
        if self.config.http2 {
            let sent = Box::pin(self.exchange_h2(method, url, headers, body, options)).await?;
            if let Some(response) = sent {
                return Ok(response);
            }
        }
        let mut started = self.start(method, url, headers, body, options).await?;
        if let Some(response) = self.small(&mut started, url) {
            if started.head.keep_alive && started.conn.rbuf.is_empty() {
                let origin = started.origin.as_ref();
                self.pool.borrow_mut().put(origin, started.conn);
            }
            return Ok(response);
        }
        // Larger, chunked, compressed or not all there yet: the rarer path, boxed so that the
        // future of a plain request stays small.
        Box::pin(self.read_body(started, url, eager)).await
    }

    /// Reads at most `eager` bytes of the body (decoded) of a started response.
    async fn read_body(
        &self,
        mut started: Started,
        url: &Url,
        eager: u64,
    ) -> Result<Response, Error> {
        let head_bytes = started.conn.rbuf.split_to(started.head.len).freeze();
        let headers = Headers::new(head_bytes, std::mem::take(&mut started.head.spans));
        if headers.contains("set-cookie") {
            self.jar.borrow_mut().store_from(&headers, url);
        }
        let decoder = self
            .config
            .auto_decompress
            .then(|| Coding::of(&headers))
            .flatten()
            .map(|coding| Decoder::new(coding, self.config.max_body));
        let mut rest = Rest::new(started, decoder, Rc::clone(&self.pool));
        let mut body = BytesMut::new();
        rest.read_up_to(&mut body, eager)
            .await
            .map_err(|e| e.with_retries(rest.retries))?;
        let head = &rest.head;
        let mut response = Response {
            status: head.status,
            version: head.version,
            reason: head.reason,
            headers,
            url: url.clone(),
            body: body.freeze(),
            history: Vec::new(),
            retries: rest.retries,
            received: rest.received(),
            rest: None,
            queued: Duration::ZERO,
        };
        if !rest.is_done() {
            response.rest = Some(Box::new(rest));
        }
        Ok(response)
    }

    /// The response, when it is small, plain, and all read already: head and body copied out
    /// of the read buffer together (the usual case of a load test, kept cheap).
    fn small(&self, started: &mut Started, url: &Url) -> Option<Response> {
        let head = &started.head;
        let body_len = match head.framing {
            Framing::Empty => 0,
            Framing::Length(n) => usize::try_from(n).ok()?,
            Framing::Chunked | Framing::UntilClose => return None,
        };
        let total = head.len.checked_add(body_len)?;
        let rbuf = &mut started.conn.rbuf;
        if total > COPY_LIMIT || rbuf.len() < total {
            return None;
        }
        let all = Bytes::copy_from_slice(&rbuf[..total]);
        let headers = Headers::new(
            all.slice(..head.len),
            std::mem::take(&mut started.head.spans),
        );
        if self.config.auto_decompress && Coding::of(&headers).is_some() {
            // Put back: a compressed body goes through the decoder.
            started.head.spans = headers.into_spans();
            return None;
        }
        rbuf.advance(total);
        if headers.contains("set-cookie") {
            self.jar.borrow_mut().store_from(&headers, url);
        }
        let head = &started.head;
        Some(Response {
            status: head.status,
            version: head.version,
            reason: head.reason,
            headers,
            url: url.clone(),
            body: all.slice(head.len..),
            history: Vec::new(),
            retries: started.retries,
            received: total as u64,
            rest: None,
            queued: Duration::ZERO,
        })
    }

    /// Sends the request and reads the head of its response, retrying once on a new
    /// connection when a kept-alive one turns out closed (for idempotent methods only).
    async fn start(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        options: Options,
    ) -> Result<Started, Error> {
        let (origin, host) = origin_of(url, options.verify)?;
        let mut conn = self.take_or_connect(origin, &host).await?;
        conn.wbuf.clear();
        {
            let cookie = self.jar.borrow().header_for(url);
            let added = Added {
                user_agent: &self.config.user_agent,
                cookie: cookie.as_deref(),
                accept_encoding: self.config.auto_decompress.then_some(ACCEPT_ENCODING),
            };
            let none = HeaderMap::new();
            let defaults = if options.default_headers {
                &self.config.headers
            } else {
                &none
            };
            encode::encode_request(&mut conn.wbuf, method, url, headers, defaults, body, &added)?;
        }
        let head_request = *method == Method::HEAD;
        let mut retries = 0;
        let (head, received_before) = loop {
            let received_before = conn.received;
            let exchanged = match conn.write_request().await {
                Ok(()) => conn.read_head(head_request).await,
                Err(failed) => Err(failed),
            };
            match exchanged {
                Ok(head) => break (head, received_before),
                // A kept-alive connection the server closed meanwhile: once, on a new one,
                // when sending the request again is safe.
                Err(failed) if failed.nothing_received && conn.reused && retries == 0 => {
                    if !is_idempotent(method) {
                        return Err(Error::new(Kind::Closed).with_context(format!(
                            "the server closed the kept-alive connection before answering; \
                             a {method} is not sent again"
                        )));
                    }
                    retries += 1;
                    let wbuf = std::mem::take(&mut conn.wbuf);
                    conn = Box::pin(self.dialer.connect(&self.config, origin, &host))
                        .await
                        .map_err(|e| e.with_retries(retries))?;
                    conn.wbuf = wbuf;
                }
                Err(failed) => return Err(failed.error.with_retries(retries)),
            }
        };
        let reader = BodyReader::new(head.framing, self.config.max_body)
            .map_err(|p| Error::from(p).with_retries(retries))?;
        Ok(Started {
            conn,
            head,
            reader,
            origin: origin.to_owned(),
            received_before,
            retries,
        })
    }

    /// An idle pooled connection to `origin` that is still clean, or a new one.
    async fn take_or_connect(
        &self,
        origin: OriginRef<'_>,
        host: &Host<&str>,
    ) -> Result<Conn, Error> {
        loop {
            let pooled = self.pool.borrow_mut().take(origin);
            let Some(mut conn) = pooled else {
                return Box::pin(self.dialer.connect(&self.config, origin, host)).await;
            };
            // Bytes or the end of the stream arrived while it was idle: it is not reused.
            if conn.is_idle_clean() {
                return Ok(conn);
            }
        }
    }

    /// Every cookie the client holds: `(name, value, domain)`; cookies given up front have an
    /// empty domain.
    pub fn cookies(&self) -> Vec<(String, String, String)> {
        self.jar.borrow().all()
    }

    /// Adds a cookie sent to every host.
    pub fn add_cookie(&self, name: impl Into<String>, value: impl Into<String>) {
        self.jar.borrow_mut().add_fixed(name.into(), value.into());
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&self) {
        self.jar.borrow_mut().clear();
    }

    /// How many connections this client has opened.
    pub fn connections_opened(&self) -> u64 {
        self.dialer.opened.get()
    }

    /// How many keep-alive connections are idle in the pool.
    pub fn idle_connections(&self) -> usize {
        self.pool.borrow().idle()
    }

    /// Closes the idle connections (requests still in flight keep theirs until they finish).
    pub fn close(&self) {
        self.pool.borrow_mut().clear();
    }
}

/// Methods a client may send again on its own (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

fn origin_of(url: &Url, verify: bool) -> Result<(OriginRef<'_>, Host<&str>), Error> {
    let tls = match url.scheme() {
        "http" => Security::Plain,
        "https" if verify => Security::Verified,
        "https" => Security::Unverified,
        _ => {
            return Err(Error::new(Kind::Url)
                .with_context(format!("unsupported scheme {:?} in {url}", url.scheme())));
        }
    };
    let (Some(host), Some(host_str), Some(port)) =
        (url.host(), url.host_str(), url.port_or_known_default())
    else {
        return Err(Error::new(Kind::Url).with_context(format!("no host in {url}")));
    };
    Ok((
        OriginRef {
            tls,
            host: host_str,
            port,
        },
        host,
    ))
}
