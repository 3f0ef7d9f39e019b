//! [`Session`]: what scenario code receives, one per worker, as Molotov's `aiohttp` session.
//!
//! A session is a cheap handle (`Rc`) over the worker's HTTP client, the run's statistics and
//! listeners, and a per-session [`Context`] for user data. Every request goes through
//! [`Session::send`], which fires the request events, times the exchange and records it: the
//! one place where HTTP meets the engine.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use http::{HeaderMap, Method};
use molotov_http::{Client, ClientConfig, Error as HttpError, Kind, TlsContext};
use molotov_stats::Stats;
use url::Url;

use crate::config::RunInfo;
use crate::dump;
use crate::event::{Event, Listeners};
use crate::exchange::Exchange;
use crate::notice::{Notice, Notices};
use crate::request::RequestBuilder;
use crate::sink::Sinks;
use crate::vars::Vars;

pub use crate::response::Response;
pub use molotov_http::Request;

/// Options of a worker's session, returned by the `setup` fixture (Molotov's dict of
/// `ClientSession` arguments).
#[derive(Debug, Clone, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent switches, each one of aiohttp's session arguments or molotov's"
)]
pub struct SessionOptions {
    /// Headers sent with every request.
    pub headers: HeaderMap,
    /// Cookies sent to every host.
    pub cookies: Vec<(String, String)>,
    /// Basic authentication sent with every request: `(user, password)`.
    pub auth: Option<(String, String)>,
    /// Timeout of a whole request; `None` keeps the default (5 minutes, as aiohttp).
    pub timeout: Option<Duration>,
    /// Timeout of opening a connection.
    pub connect_timeout: Option<Duration>,
    /// Skip certificate verification (aiohttp's `ssl=False`).
    pub insecure: bool,
    /// Do not follow redirects unless a request asks to.
    pub no_redirects: bool,
    /// Relative URLs are resolved against this one (aiohttp's `base_url`).
    pub base_url: Option<Url>,
    /// Connections to these origins go elsewhere (`--connect-to`; a run adds its own).
    pub connect_to: Vec<molotov_http::ConnectTo>,
    /// The largest response body accepted (received, and once decoded); `None` keeps the
    /// default, 1 GiB. A larger one fails the request with `too-large`.
    pub max_body: Option<u64>,
    /// Neither ask for compressed responses nor decompress them (aiohttp's
    /// `auto_decompress=False`): bodies are as the server sent them.
    pub no_decompress: bool,
    /// Speak HTTP/2 (`h2` offered by ALPN over TLS, prior knowledge for `http://`); a run's
    /// `--http2` turns it on for every session.
    pub http2: bool,
}

impl SessionOptions {
    /// The HTTP client settings these options stand for, and the base URL.
    pub(crate) fn into_client_config(self, tls: TlsContext) -> (ClientConfig, Option<Url>) {
        let mut headers = self.headers;
        if let Some((user, password)) = &self.auth {
            if let Ok(value) = basic_auth_header(user, password) {
                headers.insert(http::header::AUTHORIZATION, value);
            }
        }
        let mut config = ClientConfig {
            headers,
            cookies: self.cookies,
            connect_timeout: self.connect_timeout,
            follow_redirects: !self.no_redirects,
            verify_tls: !self.insecure,
            tls,
            connect_to: self.connect_to,
            auto_decompress: !self.no_decompress,
            http2: self.http2,
            ..ClientConfig::default()
        };
        if let Some(max_body) = self.max_body {
            config.max_body = max_body;
        }
        if self.timeout.is_some() {
            config.timeout = self.timeout;
        }
        (config, self.base_url)
    }
}

/// What every session of a run shares: statistics, listeners, notices, run info, TLS.
pub(crate) struct SessionEnv {
    pub(crate) stats: RefCell<Stats>,
    pub(crate) listeners: Listeners,
    pub(crate) notices: Notices,
    pub(crate) info: RunInfo,
    pub(crate) tls: TlsContext,
    /// Where every request and scenario run is handed (statsd...).
    pub(crate) sinks: Sinks,
}

/// A worker's HTTP session. Cheap to clone; clones are the same session.
#[derive(Clone)]
pub struct Session {
    inner: Rc<Inner>,
}

struct Inner {
    worker: usize,
    client: Client,
    base_url: Option<Url>,
    env: Rc<SessionEnv>,
    context: Context,
    /// The last URL string parsed and its result: scenarios request the same few URLs again
    /// and again, and parsing (with IDNA) is a visible share of a request's CPU.
    parsed: RefCell<Option<(Box<str>, Url)>>,
}

impl Session {
    pub(crate) fn new(worker: usize, options: SessionOptions, env: Rc<SessionEnv>) -> Session {
        let (mut config, base_url) = options.into_client_config(env.tls.clone());
        config
            .connect_to
            .extend(env.info.config.connect_to.iter().cloned());
        config.http2 |= env.info.config.http2;
        Session {
            inner: Rc::new(Inner {
                worker,
                client: Client::new(config),
                base_url,
                env,
                context: Context::new(worker),
                parsed: RefCell::new(None),
            }),
        }
    }

    /// What every session of the run shares.
    pub(crate) fn env(&self) -> &Rc<SessionEnv> {
        &self.inner.env
    }

    /// A session outside any run: for the synchronous request helpers and for unit tests of
    /// scenario code. Its statistics and events go nowhere.
    pub fn detached(options: SessionOptions) -> Session {
        let progress = std::sync::Arc::default();
        let (notices, _) = crate::notice::channel(progress);
        let env = SessionEnv {
            stats: RefCell::new(Stats::new(&[])),
            listeners: Listeners::default(),
            notices,
            info: RunInfo::default(),
            tls: TlsContext::new(),
            sinks: Sinks::default(),
        };
        Session::new(0, options, Rc::new(env))
    }

    /// The worker this session belongs to.
    pub fn worker_id(&self) -> usize {
        self.inner.worker
    }

    /// Per-session data for user code (Molotov's `get_context(session)`).
    pub fn context(&self) -> &Context {
        &self.inner.context
    }

    /// The run's shared variables (Molotov's `set_var`/`get_var`).
    pub fn vars(&self) -> &Vars {
        &self.inner.env.info.vars
    }

    /// The run's settings and variables.
    pub fn run_info(&self) -> &RunInfo {
        &self.inner.env.info
    }

    /// The HTTP client (cookies, connection counts).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// A `GET` request to `url` (absolute, or relative to the session's base URL).
    pub fn get(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, url)
    }

    /// A `POST` request.
    pub fn post(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, url)
    }

    /// A `PUT` request.
    pub fn put(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, url)
    }

    /// A `PATCH` request.
    pub fn patch(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, url)
    }

    /// A `DELETE` request.
    pub fn delete(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, url)
    }

    /// A `HEAD` request.
    pub fn head(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::HEAD, url)
    }

    /// An `OPTIONS` request.
    pub fn options(&self, url: &str) -> RequestBuilder<'_> {
        self.request(Method::OPTIONS, url)
    }

    /// A request with any method.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder<'_> {
        let request = self.url(url).map(|url| Request::new(method, url));
        RequestBuilder::new(self, request)
    }

    /// Resolves `url` against the base URL, reusing the last result for the same string.
    pub fn url(&self, url: &str) -> Result<Url, HttpError> {
        if let Some((text, parsed)) = &*self.inner.parsed.borrow() {
            if **text == *url {
                return Ok(parsed.clone());
            }
        }
        let parsed = match &self.inner.base_url {
            Some(base) => base.join(url),
            None => Url::parse(url),
        }
        .map_err(|e| {
            HttpError::new(Kind::Url)
                .with_context(url.to_owned())
                .with_source(e)
        })?;
        *self.inner.parsed.borrow_mut() = Some((url.into(), parsed.clone()));
        Ok(parsed)
    }

    /// Sends `request`: fires `sending_request`, times the exchange, records it under `name`
    /// (or the URL path) and fires `response_received`. The whole body is read.
    pub async fn send(&self, request: &Request, name: Option<&str>) -> Result<Response, HttpError> {
        self.send_with(request, name, u64::MAX).await
    }

    /// [`Session::send`], reading at most `eager` bytes of the body before returning: the rest
    /// is read as the caller asks ([`Response::chunk`], [`Response::finish`]), in constant
    /// memory. The request is recorded once its body is complete (or the response dropped), so
    /// its latency covers the whole body, as for [`Session::send`].
    pub async fn send_streamed(
        &self,
        request: &Request,
        name: Option<&str>,
        eager: u64,
    ) -> Result<Response, HttpError> {
        self.send_with(request, name, eager).await
    }

    async fn send_with(
        &self,
        request: &Request,
        name: Option<&str>,
        eager: u64,
    ) -> Result<Response, HttpError> {
        let env = &self.inner.env;
        if !env.listeners.is_empty() {
            let event = Event::SendingRequest {
                session: self,
                request,
            };
            env.listeners.emit(&event, &env.notices).await;
        }
        let start = Instant::now();
        let result = if eager == u64::MAX {
            self.inner.client.send(request).await
        } else {
            self.inner.client.send_streamed(request, eager).await
        };
        let key = name.unwrap_or_else(|| request.url.path());
        let exchange = Exchange {
            env: env.clone(),
            method: request.method.clone(),
            key: key.into(),
            worker: self.worker_id(),
            start,
            lag: self.context().lag(),
        };
        if env.info.config.verbose >= 2 {
            env.notices.send(Notice::Exchange(dump::exchange(
                request,
                self.inner.client.config(),
                result.as_ref(),
            )));
        }
        let response = match result {
            Ok(r) if r.is_complete() => {
                exchange.record_response(&r, r.body().len() as u64);
                Response::from(r)
            }
            Ok(r) => Response::streamed(r, exchange),
            Err(e) => {
                exchange.record_error(&e);
                return Err(e);
            }
        };
        if !env.listeners.is_empty() {
            let event = Event::ResponseReceived {
                session: self,
                request,
                response: &response,
            };
            env.listeners.emit(&event, &env.notices).await;
        }
        Ok(response)
    }

    /// Closes the idle connections.
    pub fn close(&self) {
        self.inner.client.close();
    }
}

/// The `Authorization` value for basic authentication.
pub(crate) fn basic_auth_header(
    user: &str,
    password: &str,
) -> Result<http::HeaderValue, http::header::InvalidHeaderValue> {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    http::HeaderValue::from_str(&format!("Basic {token}"))
}

/// Per-session data: typed values user code attaches (Molotov's context object), plus the
/// current step.
pub struct Context {
    worker: usize,
    step: Cell<u64>,
    /// In an open-model run, how late the run in progress started after its due time: its
    /// requests' latencies count from their intended send time (their actual one, this much
    /// earlier).
    lag: Cell<Option<Duration>>,
    data: RefCell<HashMap<TypeId, Rc<dyn Any>>>,
}

impl Context {
    fn new(worker: usize) -> Self {
        Context {
            worker,
            step: Cell::new(0),
            lag: Cell::new(None),
            data: RefCell::default(),
        }
    }

    /// In an open-model run, how late the run in progress started after its due time.
    pub fn lag(&self) -> Option<Duration> {
        self.lag.get()
    }

    pub(crate) fn set_lag(&self, lag: Option<Duration>) {
        self.lag.set(lag);
    }

    /// The worker id.
    pub fn worker_id(&self) -> usize {
        self.worker
    }

    /// The number of the scenario run in progress (1 for the first).
    pub fn step(&self) -> u64 {
        self.step.get()
    }

    pub(crate) fn set_step(&self, step: u64) {
        self.step.set(step);
    }

    /// Attaches `value`, replacing a value of the same type.
    pub fn insert<T: Any>(&self, value: T) {
        self.data
            .borrow_mut()
            .insert(TypeId::of::<T>(), Rc::new(value));
    }

    /// The value of type `T`, if one is attached.
    pub fn get<T: Any>(&self) -> Option<Rc<T>> {
        let value = self.data.borrow().get(&TypeId::of::<T>()).cloned()?;
        value.downcast::<T>().ok()
    }

    /// Detaches and returns the value of type `T`.
    pub fn remove<T: Any>(&self) -> Option<Rc<T>> {
        let value = self.data.borrow_mut().remove(&TypeId::of::<T>())?;
        value.downcast::<T>().ok()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("worker", &self.inner.worker)
            .finish_non_exhaustive()
    }
}
