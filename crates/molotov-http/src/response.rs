//! What a request produced: status, headers, final URL, body and the redirects on the way.
//!
//! Headers stay in the bytes they arrived in: a response keeps its raw head and the offsets of
//! each name and value, so receiving one costs no per-header allocation. Most load-test
//! scenarios read the status and maybe one header; the rest is never decoded.

use bytes::{Bytes, BytesMut};
use http::{StatusCode, Version};
use url::Url;

use crate::error::Error;
use crate::streamed::Rest;

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

    /// The spans back (the head's bytes are let go).
    pub(crate) fn into_spans(self) -> Vec<[u32; 4]> {
        self.spans
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

/// A response: its head, and its body (whole, or for a streamed one, the part read so far
/// and the rest to read with [`Response::chunk`] or [`Response::finish`]).
#[derive(Debug)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    /// Offsets of the reason phrase in the raw head (kept there to avoid an allocation).
    pub(crate) reason: (u32, u32),
    pub(crate) headers: Headers,
    pub(crate) url: Url,
    pub(crate) body: Bytes,
    pub(crate) history: Vec<Response>,
    /// Times the request was sent again on a new connection (a kept-alive one was closed).
    pub(crate) retries: u32,
    /// Bytes received on the wire for this response so far (head, framing, body as sent).
    pub(crate) received: u64,
    /// The unread part of the body, with its connection.
    pub(crate) rest: Option<Box<Rest>>,
    /// HTTP/2: how long the request waited for a free stream before it was sent.
    pub(crate) queued: std::time::Duration,
}

/// A clone has the body read so far, not the unread part of a streamed body (which comes once,
/// on one connection).
impl Clone for Response {
    fn clone(&self) -> Self {
        Response {
            status: self.status,
            version: self.version,
            reason: self.reason,
            headers: self.headers.clone(),
            url: self.url.clone(),
            body: self.body.clone(),
            history: self.history.clone(),
            retries: self.retries,
            received: self.received,
            rest: None,
            queued: self.queued,
        }
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// How long the request waited for a free HTTP/2 stream (the server's
    /// `MAX_CONCURRENT_STREAMS` were all busy) before it was sent: not the server's time.
    /// Zero over HTTP/1.1.
    pub fn queued(&self) -> std::time::Duration {
        self.queued
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

    /// How many times the request was sent again on a new connection because the kept-alive
    /// one it was sent on had been closed by the server (idempotent methods only).
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Bytes received on the wire for this response so far: head, framing and body as the
    /// server sent them (compressed, when it compressed).
    pub fn received_bytes(&self) -> u64 {
        match &self.rest {
            Some(rest) => rest.received(),
            None => self.received,
        }
    }

    /// Whether the whole body was read ([`Client::send`](crate::Client::send) reads it whole;
    /// [`Client::send_streamed`](crate::Client::send_streamed) may not).
    pub fn is_complete(&self) -> bool {
        self.rest.is_none()
    }

    /// The next piece of the body: first what was read with the head, then what arrives, as
    /// it arrives (decoded); `None` at the end. What it returns is no longer in
    /// [`Response::body`].
    ///
    /// Cancel safety: dropping the future may lose what it had read; the connection is then
    /// closed when the response is dropped.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.body.is_empty() {
            return Ok(Some(std::mem::take(&mut self.body)));
        }
        let Some(rest) = &mut self.rest else {
            return Ok(None);
        };
        let mut piece = BytesMut::new();
        rest.read_up_to(&mut piece, 1).await?;
        self.received = rest.received();
        if rest.is_done() {
            self.rest = None;
        }
        Ok((!piece.is_empty()).then(|| piece.freeze()))
    }

    /// Reads the rest of the body into [`Response::body`].
    pub async fn finish(&mut self) -> Result<(), Error> {
        let Some(rest) = &mut self.rest else {
            return Ok(());
        };
        let mut body = BytesMut::from(std::mem::take(&mut self.body));
        let read = rest.read_up_to(&mut body, u64::MAX).await;
        self.received = rest.received();
        self.body = body.freeze();
        self.rest = None;
        read
    }
}
