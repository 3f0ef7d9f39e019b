//! What a request produced: status, headers, final URL, body and the redirects on the way.
//!
//! Headers stay in the bytes they arrived in: a response keeps its raw head and the offsets of
//! each name and value, so receiving one costs no per-header allocation. Most load-test
//! scenarios read the status and maybe one header; the rest is never decoded.

use bytes::Bytes;
use http::{StatusCode, Version};
use url::Url;

/// The headers of a response, in arrival order, looked up case-insensitively.
#[derive(Clone, Debug, Default)]
pub struct Headers {
    /// The raw response head (status line and header lines).
    head: Bytes,
    /// `(name start, name end, value start, value end)` offsets into `head`.
    spans: Vec<[u32; 4]>,
}

impl Headers {
    pub(crate) fn new(head: Bytes, spans: Vec<[u32; 4]>) -> Self {
        Headers { head, spans }
    }

    /// The first value of the header `name` (case-insensitive), as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first value of the header `name` (case-insensitive), if it is valid UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of the header `name` (case-insensitive), in order.
    pub fn get_all_bytes<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every `(name, value)` pair in arrival order; names as the server spelled them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.spans.iter().map(|s| {
            let name = &self.head[s[0] as usize..s[1] as usize];
            let value = &self.head[s[2] as usize..s[3] as usize];
            // httparse only accepts token characters in names, which are ASCII.
            (std::str::from_utf8(name).unwrap_or(""), value)
        })
    }

    /// Whether the header `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// The number of header lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// A complete response: the body has been read.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    /// Offsets of the reason phrase in the raw head (kept there to avoid an allocation).
    pub(crate) reason: (u32, u32),
    pub(crate) headers: Headers,
    pub(crate) url: Url,
    pub(crate) body: Bytes,
    pub(crate) history: Vec<Response>,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The protocol version the server answered with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The reason phrase the server sent (`"OK"`), or the canonical one if it sent none.
    pub fn reason(&self) -> &str {
        let (start, end) = self.reason;
        let sent =
            std::str::from_utf8(&self.headers.head[start as usize..end as usize]).unwrap_or("");
        if sent.is_empty() {
            self.status.canonical_reason().unwrap_or("")
        } else {
            sent
        }
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The URL this response came from (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The whole body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 is replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The media type of the body without parameters (`"application/json"`), if any.
    pub fn content_type(&self) -> Option<&str> {
        let value = self.headers.get("content-type")?;
        Some(value.split(';').next().unwrap_or("").trim())
    }

    /// The redirect responses that led to this one, oldest first.
    pub fn history(&self) -> &[Response] {
        &self.history
    }

    /// Takes the body out, leaving it empty (for adapters that hand it over without a copy).
    pub fn take_body(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }
}
