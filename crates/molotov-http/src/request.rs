//! What to send: a plain value the caller fills in and the client only reads.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use url::Url;

/// One HTTP request. The client adds the session's default headers, cookies, `Host`,
/// `User-Agent`, `Accept` and `Content-Length` when the request does not set them.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute `http` or `https` URL, query included.
    pub url: Url,
    /// Headers of this request; they win over the client's default headers of the same name.
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
    /// The whole exchange's timeout, redirects included; `None` uses the client's.
    pub timeout: Option<Duration>,
    /// Whether to follow redirects; `None` uses the client's setting.
    pub follow_redirects: Option<bool>,
    /// Whether to verify the server's certificate; `None` uses the client's setting.
    pub verify_tls: Option<bool>,
    /// Whether the client's default headers ([`ClientConfig::headers`](crate::ClientConfig))
    /// are added (`true` unless an adapter keeps the session's headers itself, as the Python
    /// `session.headers` mapping does, so that removing one there removes it).
    pub default_headers: bool,
}

impl Request {
    /// A request with no headers, no body and the client's timeout and redirect settings.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
            follow_redirects: None,
            verify_tls: None,
            default_headers: true,
        }
    }
}
