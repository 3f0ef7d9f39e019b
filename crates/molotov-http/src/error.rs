//! The one error type of the client: opaque, cheap to create, classified by kind.
//!
//! A load test turns every failed request into a counted outcome keyed by its kind, so the kind
//! is a `&'static str` that costs nothing to read, and the message is formatted only when
//! somebody displays it (a console line, `-v`). Callers branch on the predicates
//! (`is_timeout`, `is_connect`, ...), not on the text, which is not a contract.

use std::error::Error as StdError;
use std::fmt;

/// Boxed cause of an [`Error`].
pub(crate) type Cause = Box<dyn StdError + Send + Sync>;

/// Why a request did not produce a response.
#[derive(Debug)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: Kind,
    /// Times the request was sent again on a new connection before this failure.
    retries: u32,
    /// What was being done, e.g. the address being connected to. Only the connect path sets it,
    /// where opening a socket already costs far more than the string.
    context: Option<String>,
    source: Option<Cause>,
    /// The status of a response that made the request fail (a refused WebSocket handshake).
    status: Option<http::StatusCode>,
}

/// The classification of an [`Error`]; [`Error::kind_name`] gives its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// The URL cannot be requested (bad syntax, no host, a scheme other than http/https).
    Url,
    /// The request could not be built (an invalid header, a body that does not serialise).
    Request,
    /// The host name did not resolve.
    Dns,
    /// The TCP connection could not be opened (refused, unreachable, connect timeout).
    Connect,
    /// The TLS handshake failed (certificate not trusted, protocol error).
    Tls,
    /// The request or the whole exchange took longer than its timeout.
    Timeout,
    /// The server closed or reset the connection before the response was complete.
    Closed,
    /// The server answered something that is not valid HTTP/1.1.
    Protocol,
    /// More redirects than the client follows.
    Redirects,
    /// The process is out of file descriptors (`EMFILE`, `ENFILE`): more connections than the
    /// open-file limit allows.
    Files,
    /// A response (its body, a chunk line, its trailers) was larger than the client accepts.
    TooLarge,
    /// Any other I/O failure on the socket.
    Io,
    /// HTTP/2: the server reset the request's stream (`RST_STREAM`).
    StreamReset,
    /// HTTP/2: the server is closing the connection (`GOAWAY`) and did not process the request.
    GoAway,
    /// HTTP/2: the connection broke the protocol (a frame out of place, a bad header block...).
    Http2Protocol,
    /// WebSocket: the server refused the handshake (its status is kept), or the connection
    /// broke the protocol.
    WebSocket,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 16] = [
        Kind::Url,
        Kind::Request,
        Kind::Dns,
        Kind::Connect,
        Kind::Tls,
        Kind::Timeout,
        Kind::Closed,
        Kind::Protocol,
        Kind::Redirects,
        Kind::Files,
        Kind::TooLarge,
        Kind::Io,
        Kind::StreamReset,
        Kind::GoAway,
        Kind::Http2Protocol,
        Kind::WebSocket,
    ];

    /// The stable, lower-case name used in statistics and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Url => "url",
            Kind::Request => "request",
            Kind::Dns => "dns",
            Kind::Connect => "connect",
            Kind::Tls => "tls",
            Kind::Timeout => "timeout",
            Kind::Closed => "closed",
            Kind::Protocol => "protocol",
            Kind::Redirects => "redirects",
            Kind::Files => "files",
            Kind::TooLarge => "too-large",
            Kind::Io => "io",
            Kind::StreamReset => "h2-reset",
            Kind::GoAway => "h2-goaway",
            Kind::Http2Protocol => "h2-protocol",
            Kind::WebSocket => "websocket",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Url => "invalid URL",
            Kind::Request => "invalid request",
            Kind::Dns => "cannot resolve host",
            Kind::Connect => "cannot connect",
            Kind::Tls => "TLS handshake failed",
            Kind::Timeout => "request timed out",
            Kind::Closed => "connection closed before the response was complete",
            Kind::Protocol => "invalid HTTP response",
            Kind::Redirects => "too many redirects",
            Kind::Files => "out of file descriptors (the open-file limit, ulimit -n)",
            Kind::TooLarge => "response larger than the limit",
            Kind::Io => "I/O error",
            Kind::StreamReset => "the server reset the HTTP/2 stream",
            Kind::GoAway => "the server closed the HTTP/2 connection (GOAWAY)",
            Kind::Http2Protocol => "HTTP/2 protocol error",
            Kind::WebSocket => "WebSocket handshake refused or protocol error",
        }
    }
}

impl Error {
    /// An error of `kind`; for adapters that build requests and must report their own
    /// failures the way the client does.
    pub fn new(kind: Kind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                retries: 0,
                context: None,
                source: None,
                status: None,
            }),
        }
    }

    /// Keeps the status of the response that made the request fail.
    #[must_use]
    pub fn with_status(mut self, status: http::StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// The status of the response that made the request fail (a WebSocket handshake the
    /// server refused), if there was one.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.inner.status
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Attaches what was being done (an address, a URL).
    #[must_use]
    pub fn with_context(mut self, context: String) -> Self {
        self.inner.context = Some(context);
        self
    }

    /// Records that the request had been sent again `retries` times before failing.
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.inner.retries = retries;
        self
    }

    /// How many times the request was sent again on a new connection (a kept-alive one had
    /// been closed by the server) before it failed.
    pub fn retries(&self) -> u32 {
        self.inner.retries
    }

    /// Classify an I/O error seen while exchanging a request on an open connection.
    pub(crate) fn from_io(err: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        if is_out_of_files(&err) {
            return Error::new(Kind::Files).with_source(err);
        }
        let kind = match err.kind() {
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                Kind::Closed
            }
            K::TimedOut => Kind::Timeout,
            K::InvalidData => Kind::Tls,
            _ => Kind::Io,
        };
        Error::new(kind).with_source(err)
    }

    /// Classify an error of opening a connection: out of files, or `Connect`.
    pub(crate) fn from_connect(err: std::io::Error, context: String) -> Self {
        let kind = if is_out_of_files(&err) {
            Kind::Files
        } else {
            Kind::Connect
        };
        Error::new(kind).with_context(context).with_source(err)
    }

    /// The classification.
    pub fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// The stable name of the classification (`"connect"`, `"timeout"`...), for statistics.
    pub fn kind_name(&self) -> &'static str {
        self.inner.kind.name()
    }

    /// The request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// The connection could not be opened (including name resolution).
    pub fn is_connect(&self) -> bool {
        matches!(self.inner.kind, Kind::Connect | Kind::Dns)
    }

    /// The TLS handshake failed.
    pub fn is_tls(&self) -> bool {
        self.inner.kind == Kind::Tls
    }

    /// The server closed the connection early.
    pub fn is_closed(&self) -> bool {
        self.inner.kind == Kind::Closed
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.inner.kind.describe())?;
        if let Some(context) = &self.inner.context {
            write!(f, " ({context})")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn StdError + 'static))
    }
}

/// `EMFILE` (this process's open-file limit) or `ENFILE` (the system's).
fn is_out_of_files(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// A malformed response, with what was wrong with it.
#[derive(Debug)]
pub(crate) struct Malformed(pub(crate) &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl StdError for Malformed {}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::new(Kind::Protocol).with_source(m)
    }
}

/// What is wrong with what a server sent: not HTTP, or over a limit.
#[derive(Debug)]
pub(crate) enum Problem {
    /// Not valid HTTP/1.1 (a protocol error).
    Malformed(Malformed),
    /// Over one of the client's limits (a head, a chunk line, trailers, the body).
    TooLarge(&'static str),
}

impl From<Malformed> for Problem {
    fn from(m: Malformed) -> Self {
        Problem::Malformed(m)
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        match p {
            Problem::Malformed(m) => m.into(),
            Problem::TooLarge(what) => Error::new(Kind::TooLarge).with_context(what.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind_and_context_and_keeps_the_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = Error::new(Kind::Connect)
            .with_context("127.0.0.1:1".to_owned())
            .with_source(io);
        assert_eq!(err.to_string(), "cannot connect (127.0.0.1:1)");
        assert_eq!(err.kind_name(), "connect");
        assert!(err.is_connect());
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("refused")
        );
    }

    #[test]
    fn io_errors_are_classified() {
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert!(Error::from_io(eof).is_closed());
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(Error::from_io(reset).is_closed());
        let other = std::io::Error::other("x");
        assert_eq!(Error::from_io(other).kind(), Kind::Io);
        let files = std::io::Error::from_raw_os_error(libc::EMFILE);
        assert_eq!(Error::from_io(files).kind_name(), "files");
        let system = std::io::Error::from_raw_os_error(libc::ENFILE);
        let opened = Error::from_connect(system, "127.0.0.1:1".into());
        assert_eq!(opened.kind(), Kind::Files);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(Error::from_connect(refused, "127.0.0.1:1".into()).is_connect());
    }
}
