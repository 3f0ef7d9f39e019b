//! The client: one per worker, as Molotov gives each worker its own `aiohttp.ClientSession`.
//!
//! It owns its keep-alive pool, its cookie jar and its DNS cache, and is used from the worker's
//! thread only (`!Send`, interior `RefCell`s that are never borrowed across an `.await`).
//! Rare paths (opening a connection, following redirects, chunked bodies) are boxed futures so
//! that the future of a plain keep-alive request stays small: ten thousand workers each hold one
//! while they wait for their response.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::codec::{self, Added};
use crate::conn::{Conn, Stream};
use crate::cookie::Jar;
use crate::error::{Error, Kind};
use crate::pool::{OriginRef, Pool, Security};
use crate::request::Request;
use crate::response::{Headers, Response};
use crate::tls::TlsContext;

/// How a client behaves; plain data with defaults matching aiohttp's where a load test cares.
#[derive(Clone, Debug)]
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
}

/// Sends connections for `host:port` to `to_host:to_port` instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host as it appears in URLs (`localhost`, `127.0.0.1`, `[::1]`).
    pub host: String,
    /// The port of the URLs (the scheme's default when they have none).
    pub port: u16,
    /// Where to connect instead.
    pub to_host: String,
    /// The port to connect to instead.
    pub to_port: u16,
}

impl std::str::FromStr for ConnectTo {
    type Err = String;

    /// `HOST:PORT:TO_HOST:TO_PORT`, as curl writes it (IPv6 addresses in brackets).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not HOST:PORT:TO_HOST:TO_PORT");
        let (host, rest) = split_host(text).ok_or_else(bad)?;
        let (port, rest) = rest.split_once(':').ok_or_else(bad)?;
        let (to_host, to_port) = split_host(rest).ok_or_else(bad)?;
        Ok(ConnectTo {
            host: host.to_owned(),
            port: port.parse().map_err(|_| bad())?,
            to_host: to_host.trim_matches(['[', ']']).to_owned(),
            to_port: to_port.parse().map_err(|_| bad())?,
        })
    }
}

impl std::fmt::Display for ConnectTo {
    /// `HOST:PORT:TO_HOST:TO_PORT`, what [`FromStr`](std::str::FromStr) reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (open, close) = if self.to_host.contains(':') {
            ("[", "]")
        } else {
            ("", "")
        };
        write!(
            f,
            "{}:{}:{open}{}{close}:{}",
            self.host, self.port, self.to_host, self.to_port
        )
    }
}

/// `host` and what follows its `:`, with `[...]` around IPv6 addresses.
fn split_host(text: &str) -> Option<(&str, &str)> {
    if text.starts_with('[') {
        let end = text.find(']')?;
        let rest = text[end + 1..].strip_prefix(':')?;
        Some((&text[..=end], rest))
    } else {
        text.split_once(':')
    }
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
        }
    }
}

/// A host name and port with the addresses it resolved to.
type Resolved = (Box<str>, u16, Vec<SocketAddr>);

/// An HTTP/1.1 client with keep-alive, cookies, redirects, timeouts and TLS.
pub struct Client {
    config: ClientConfig,
    pool: RefCell<Pool>,
    jar: RefCell<Jar>,
    /// Resolved addresses by host and port; kept for the client's life (as Molotov's
    /// `ttl_dns_cache=None`).
    dns: RefCell<Vec<Resolved>>,
    opened: Cell<u64>,
}

impl Client {
    /// A client with `config`.
    pub fn new(mut config: ClientConfig) -> Self {
        let cookies = std::mem::take(&mut config.cookies);
        Client {
            config,
            pool: RefCell::default(),
            jar: RefCell::new(Jar::with_fixed(cookies)),
            dns: RefCell::default(),
            opened: Cell::new(0),
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
        let exchange = self.send_following(request);
        match request.timeout.or(self.config.timeout) {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| Err(Error::new(Kind::Timeout))),
            None => exchange.await,
        }
    }

    async fn send_following(&self, request: &Request) -> Result<Response, Error> {
        let verify = request.verify_tls.unwrap_or(self.config.verify_tls);
        let response = self
            .exchange(
                &request.method,
                &request.url,
                &request.headers,
                &request.body,
                verify,
            )
            .await?;
        let follow = request
            .follow_redirects
            .unwrap_or(self.config.follow_redirects);
        if follow && is_redirect(response.status) && response.headers.contains("location") {
            return Box::pin(self.follow(request, response)).await;
        }
        Ok(response)
    }

    /// One request, one response, on a pooled or new connection.
    async fn exchange(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        verify: bool,
    ) -> Result<Response, Error> {
        let (origin, host) = origin_of(url, verify)?;
        let pooled = self.pool.borrow_mut().take(origin);
        let mut conn = match pooled {
            Some(conn) => conn,
            None => Box::pin(self.connect(origin, &host)).await?,
        };
        conn.wbuf.clear();
        {
            let cookie = self.jar.borrow().header_for(url);
            let added = Added {
                user_agent: &self.config.user_agent,
                cookie: cookie.as_deref(),
            };
            let defaults = &self.config.headers;
            codec::encode_request(&mut conn.wbuf, method, url, headers, defaults, body, &added);
        }
        let head_request = *method == Method::HEAD;
        let exchanged = loop {
            match conn.exchange(head_request).await {
                Ok(done) => break done,
                // A kept-alive connection the server closed meanwhile: once, on a new one.
                Err(failed) if failed.nothing_received && conn.reused => {
                    let wbuf = std::mem::take(&mut conn.wbuf);
                    conn = Box::pin(self.connect(origin, &host)).await?;
                    conn.wbuf = wbuf;
                }
                Err(failed) => return Err(failed.error),
            }
        };
        let head = exchanged.head;
        let headers = Headers::new(exchanged.head_bytes, head.spans);
        if headers.contains("set-cookie") {
            self.jar.borrow_mut().store_from(&headers, url);
        }
        if head.keep_alive {
            self.pool.borrow_mut().put(origin, conn);
        }
        Ok(Response {
            status: head.status,
            version: head.version,
            reason: head.reason,
            headers,
            url: url.clone(),
            body: exchanged.body,
            history: Vec::new(),
        })
    }

    /// Follows the redirects starting at `first`.
    async fn follow(&self, request: &Request, first: Response) -> Result<Response, Error> {
        let verify = request.verify_tls.unwrap_or(self.config.verify_tls);
        let mut method = request.method.clone();
        let mut headers = request.headers.clone();
        let mut body = request.body.clone();
        let mut history = Vec::new();
        let mut current = first;
        while is_redirect(current.status) {
            let Some(location) = current.headers.get("location") else {
                break;
            };
            if history.len() >= self.config.max_redirects {
                return Err(Error::new(Kind::Redirects)
                    .with_context(format!("more than {}", self.config.max_redirects)));
            }
            let next = current
                .url
                .join(location)
                .map_err(|e| Error::new(Kind::Url).with_source(e))?;
            let to_get = match current.status {
                StatusCode::SEE_OTHER => method != Method::HEAD,
                StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
                _ => false,
            };
            if to_get {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(http::header::CONTENT_TYPE);
                headers.remove(http::header::CONTENT_LENGTH);
            }
            if next.origin() != current.url.origin() {
                headers.remove(http::header::AUTHORIZATION);
            }
            history.push(current);
            current = self
                .exchange(&method, &next, &headers, &body, verify)
                .await?;
        }
        current.history = history;
        Ok(current)
    }

    async fn connect(&self, origin: OriginRef<'_>, host: &Host<&str>) -> Result<Conn, Error> {
        let open = self.open(origin, host);
        let stream = match self.config.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, open)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::new(Kind::Connect)
                        .with_context(format!("{}:{} timed out", origin.host, origin.port)))
                })?,
            None => open.await?,
        };
        self.opened.set(self.opened.get() + 1);
        Ok(Conn::new(stream))
    }

    async fn open(&self, origin: OriginRef<'_>, host: &Host<&str>) -> Result<Stream, Error> {
        let addrs = self.resolve(origin, host).await?;
        let mut last = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some((addr, e)),
            }
        }
        let tcp = match (tcp, last) {
            (Some(tcp), _) => tcp,
            (None, Some((addr, e))) => return Err(Error::from_connect(e, addr.to_string())),
            (None, None) => return Err(Error::new(Kind::Dns).with_context(origin.host.into())),
        };
        // Requests are small and latency is what we measure: no Nagle delay.
        tcp.set_nodelay(true)
            .map_err(|e| Error::new(Kind::Connect).with_source(e))?;
        if origin.tls == Security::Plain {
            return Ok(Stream::Plain(tcp));
        }
        let name = match *host {
            Host::Domain(d) => ServerName::try_from(d.to_owned())
                .map_err(|e| Error::new(Kind::Url).with_source(e))?,
            Host::Ipv4(ip) => ServerName::IpAddress(std::net::IpAddr::V4(ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress(std::net::IpAddr::V6(ip).into()),
        };
        let connector = tokio_rustls::TlsConnector::from(
            self.config.tls.config(origin.tls == Security::Verified),
        );
        let tls = connector.connect(name, tcp).await.map_err(|e| {
            Error::new(Kind::Tls)
                .with_context(format!("{}:{}", origin.host, origin.port))
                .with_source(e)
        })?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    async fn resolve(
        &self,
        origin: OriginRef<'_>,
        host: &Host<&str>,
    ) -> Result<Vec<SocketAddr>, Error> {
        let redirected = self
            .config
            .connect_to
            .iter()
            .find(|c| c.port == origin.port && c.host == origin.host);
        if let Some(to) = redirected {
            let target = format!("{}:{}", to.to_host, to.to_port);
            return tokio::net::lookup_host(target.as_str())
                .await
                .map(Iterator::collect)
                .map_err(|e| Error::new(Kind::Dns).with_context(target).with_source(e));
        }
        let domain = match *host {
            Host::Ipv4(ip) => return Ok(vec![SocketAddr::from((ip, origin.port))]),
            Host::Ipv6(ip) => return Ok(vec![SocketAddr::from((ip, origin.port))]),
            Host::Domain(d) => d,
        };
        let cached = self
            .dns
            .borrow()
            .iter()
            .find(|(h, p, _)| &**h == domain && *p == origin.port)
            .map(|(_, _, addrs)| addrs.clone());
        if let Some(addrs) = cached {
            return Ok(addrs);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, origin.port))
            .await
            .map_err(|e| {
                Error::new(Kind::Dns)
                    .with_context(domain.to_owned())
                    .with_source(e)
            })?
            .collect();
        self.dns
            .borrow_mut()
            .push((domain.into(), origin.port, addrs.clone()));
        Ok(addrs)
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
        self.opened.get()
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

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
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

#[cfg(test)]
mod tests {
    use super::ConnectTo;

    #[test]
    fn connect_to_reads_curls_syntax() {
        let c: ConnectTo = "localhost:8080:127.0.0.1:41000".parse().unwrap();
        assert_eq!((c.host.as_str(), c.port), ("localhost", 8080));
        assert_eq!((c.to_host.as_str(), c.to_port), ("127.0.0.1", 41000));
        let v6: ConnectTo = "[::1]:443:[::1]:8443".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.to_host.as_str()), ("[::1]", "::1"));
        assert_eq!(v6.to_string(), "[::1]:443:[::1]:8443");
        assert_eq!(c.to_string(), "localhost:8080:127.0.0.1:41000");
        for bad in [
            "localhost:8080",
            "a:b:c:d",
            "localhost:8080:x:",
            "[::1:80:a:1",
        ] {
            assert!(bad.parse::<ConnectTo>().is_err(), "{bad}");
        }
    }
}
