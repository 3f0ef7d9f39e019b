//! HTTP/1.1 on the wire: encoding a request head and body, parsing a response head, and
//! decoding chunked bodies.
//!
//! Pure functions over byte buffers, so they are tested without sockets and the connection
//! code only moves bytes. We write this small codec ourselves, on `httparse`, instead of running
//! hyper's client connection: the exchange then happens inside the worker's own task, with no
//! connection task, no channel and no per-connection dispatch buffers. That is what a load
//! generator with thousands of keep-alive connections per process spends its CPU and memory on.

use bytes::{Buf, BytesMut};
use http::{HeaderMap, Method, StatusCode, Version};
use url::{Position, Url};

use crate::error::Malformed;

/// The most header lines a response may have.
const MAX_HEADERS: usize = 128;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (HEAD, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    /// Offsets of the reason phrase in the head bytes.
    pub(crate) reason: (u32, u32),
    /// `(name start, name end, value start, value end)` per header line.
    pub(crate) spans: Vec<[u32; 4]>,
    /// Length of the head in bytes, blank line included.
    pub(crate) len: usize,
    pub(crate) framing: Framing,
    /// Whether the connection can carry another request after this response.
    pub(crate) keep_alive: bool,
}

/// Headers the client adds to every request unless the request or the defaults set them.
pub(crate) struct Added<'a> {
    pub(crate) user_agent: &'a str,
    /// The `Cookie` header value, if the jar has cookies for this URL.
    pub(crate) cookie: Option<&'a str>,
}

/// Appends the request head and body for `method url` to `out`.
///
/// `headers` win over `defaults`; `Host`, `User-Agent`, `Accept` and `Content-Length` are
/// added only when neither sets them.
pub(crate) fn encode_request(
    out: &mut Vec<u8>,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    defaults: &HeaderMap,
    body: &[u8],
    added: &Added<'_>,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    let target = &url[Position::BeforePath..Position::AfterQuery];
    out.extend_from_slice(if target.is_empty() { "/" } else { target }.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");

    let has = |name: &http::HeaderName| {
        (!headers.is_empty() && headers.contains_key(name))
            || (!defaults.is_empty() && defaults.contains_key(name))
    };
    if !has(&http::header::HOST) {
        put_header(
            out,
            "host",
            url[Position::BeforeHost..Position::AfterPort].as_bytes(),
        );
    }
    for (name, value) in headers {
        put_header(out, name.as_str(), value.as_bytes());
    }
    for (name, value) in defaults {
        if headers.is_empty() || !headers.contains_key(name) {
            put_header(out, name.as_str(), value.as_bytes());
        }
    }
    if !has(&http::header::USER_AGENT) {
        put_header(out, "user-agent", added.user_agent.as_bytes());
    }
    if !has(&http::header::ACCEPT) {
        put_header(out, "accept", b"*/*");
    }
    if let Some(cookie) = added.cookie {
        put_header(out, "cookie", cookie.as_bytes());
    }
    let wants_length =
        !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if wants_length && !has(&http::header::CONTENT_LENGTH) && !has(&http::header::TRANSFER_ENCODING)
    {
        out.extend_from_slice(b"content-length: ");
        push_decimal(out, body.len());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

fn put_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        digits[i] = b'0' + digit;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Parses a response head at the start of `buf`; `Ok(None)` when more bytes are needed.
///
/// `head_request` tells whether the request was a HEAD, whose response has no body.
pub(crate) fn parse_head(buf: &[u8], head_request: bool) -> Result<Option<Head>, Malformed> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut raw);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Malformed("too many headers")),
        Err(_) => return Err(Malformed("cannot parse the response head")),
    };
    let code = parsed.code.ok_or(Malformed("no status code"))?;
    let status = StatusCode::from_u16(code).map_err(|_| Malformed("invalid status code"))?;
    let version = if parsed.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let base = buf.as_ptr() as usize;
    let offset = |s: &[u8]| -> u32 {
        // Slices handed out by httparse point into `buf`, whose length fits u32 (the
        // connection caps a head well below that).
        #[allow(clippy::cast_possible_truncation)]
        let off = (s.as_ptr() as usize - base) as u32;
        off
    };
    let span = |s: &[u8]| -> (u32, u32) {
        // httparse hands out a static `""` (not a slice of `buf`) for a missing or non-ASCII
        // reason phrase: its pointer says nothing about `buf`, and any empty span will do.
        if s.is_empty() {
            return (0, 0);
        }
        let start = offset(s);
        #[allow(clippy::cast_possible_truncation)]
        let end = start + s.len() as u32;
        (start, end)
    };
    let reason = parsed.reason.map_or((0, 0), |r| span(r.as_bytes()));

    let mut spans = Vec::with_capacity(parsed.headers.len());
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive_token = false;
    for header in parsed.headers.iter() {
        let (ns, ne) = span(header.name.as_bytes());
        let (vs, ve) = span(header.value);
        spans.push([ns, ne, vs, ve]);
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n = parse_length(header.value)?;
            if length.is_some_and(|prev| prev != n) {
                return Err(Malformed("conflicting content-length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = last_token_is(header.value, b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close |= has_token(header.value, b"close");
            keep_alive_token |= has_token(header.value, b"keep-alive");
        }
    }

    let no_body = head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let framing = if no_body {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        if len.checked_add(n).is_none() {
            return Err(Malformed("content-length too large"));
        }
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    let persistent = match version {
        Version::HTTP_10 => keep_alive_token && !close,
        _ => !close,
    };
    Ok(Some(Head {
        status,
        version,
        reason,
        spans,
        len,
        framing,
        keep_alive: persistent && framing != Framing::UntilClose,
    }))
}

fn parse_length(value: &[u8]) -> Result<usize, Malformed> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Malformed("invalid content-length"));
    }
    let mut n: usize = 0;
    for d in digits {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or(Malformed("content-length too large"))?;
    }
    Ok(n)
}

fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

fn has_token(value: &[u8], token: &[u8]) -> bool {
    tokens(value).any(|t| t.eq_ignore_ascii_case(token))
}

fn last_token_is(value: &[u8], token: &[u8]) -> bool {
    tokens(value)
        .filter(|t| !t.is_empty())
        .last()
        .is_some_and(|t| t.eq_ignore_ascii_case(token))
}

/// Incremental decoder of a chunked body: feed it the read buffer after each read.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    done: bool,
}

impl Chunked {
    /// Moves every complete chunk from the front of `buf` into `body`; returns `true` once the
    /// last chunk and the trailers have been consumed.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        body: &mut BytesMut,
    ) -> Result<bool, Malformed> {
        while !self.done {
            let Some(line_end) = find_crlf(buf) else {
                return Ok(false);
            };
            let size = parse_chunk_size(&buf[..line_end])?;
            if size == 0 {
                // Trailers: zero or more header lines, then an empty line.
                let rest = &buf[line_end + 2..];
                let Some(end) = trailers_end(rest) else {
                    return Ok(false);
                };
                buf.advance(line_end + 2 + end);
                self.done = true;
                break;
            }
            let needed = line_end + 2 + size + 2;
            if buf.len() < needed {
                return Ok(false);
            }
            if &buf[needed - 2..needed] != b"\r\n" {
                return Err(Malformed("chunk not followed by CRLF"));
            }
            body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            buf.advance(needed);
        }
        Ok(true)
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// The length of the trailer section including its final empty line, if complete.
fn trailers_end(rest: &[u8]) -> Option<usize> {
    if rest.starts_with(b"\r\n") {
        return Some(2);
    }
    rest.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

fn parse_chunk_size(line: &[u8]) -> Result<usize, Malformed> {
    let hex = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if hex.is_empty() || hex.len() > 15 {
        return Err(Malformed("invalid chunk size"));
    }
    let mut n = 0usize;
    for &c in hex {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(Malformed("invalid chunk size")),
        };
        n = n * 16 + usize::from(digit);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes(), false).unwrap().unwrap()
    }

    #[test]
    fn encodes_a_get_with_defaults_and_overrides() {
        let url = Url::parse("http://example.com:8080/a/b?x=1&y=2").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-one", "1".parse().unwrap());
        let mut defaults = HeaderMap::new();
        defaults.insert("x-one", "default".parse().unwrap());
        defaults.insert("x-two", "2".parse().unwrap());
        let mut out = Vec::new();
        let added = Added {
            user_agent: "molotov/test",
            cookie: Some("a=1"),
        };
        encode_request(
            &mut out,
            &Method::GET,
            &url,
            &headers,
            &defaults,
            b"",
            &added,
        );
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "GET /a/b?x=1&y=2 HTTP/1.1\r\nhost: example.com:8080\r\nx-one: 1\r\nx-two: 2\r\n\
             user-agent: molotov/test\r\naccept: */*\r\ncookie: a=1\r\n\r\n"
        );
    }

    #[test]
    fn encodes_a_post_body_with_its_length() {
        let url = Url::parse("https://example.com/").unwrap();
        let mut out = Vec::new();
        let added = Added {
            user_agent: "ua",
            cookie: None,
        };
        let empty = HeaderMap::new();
        encode_request(
            &mut out,
            &Method::POST,
            &url,
            &empty,
            &empty,
            b"{\"a\":1}",
            &added,
        );
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("POST / HTTP/1.1\r\nhost: example.com\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with("content-length: 7\r\n\r\n{\"a\":1}"),
            "{text}"
        );

        let mut out = Vec::new();
        encode_request(&mut out, &Method::POST, &url, &empty, &empty, b"", &added);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("content-length: 0\r\n")
        );
    }

    #[test]
    fn parses_status_reason_headers_and_length() {
        let h = head("HTTP/1.1 201 Created\r\nContent-Length: 12\r\nX-A: b\r\n\r\nbody");
        assert_eq!(h.status, StatusCode::CREATED);
        assert_eq!(h.framing, Framing::Length(12));
        assert!(h.keep_alive);
        assert_eq!(h.spans.len(), 2);
        assert_eq!(
            h.len,
            "HTTP/1.1 201 Created\r\nContent-Length: 12\r\nX-A: b\r\n\r\n".len()
        );
    }

    #[test]
    fn partial_heads_ask_for_more() {
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Len", false)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn framing_follows_the_rules() {
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\n\r\n").framing,
            Framing::Empty
        );
        assert_eq!(
            head("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").framing,
            Framing::Empty
        );
        assert_eq!(
            head("HTTP/1.1 100 Continue\r\n\r\n").framing,
            Framing::Empty
        );
        let chunked = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(chunked.framing, Framing::Chunked);
        let until_close = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(until_close.framing, Framing::UntilClose);
        assert!(!until_close.keep_alive);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true)
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Empty);
    }

    #[test]
    fn connection_close_and_http10_end_keep_alive() {
        assert!(
            !head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive
        );
        assert!(!head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
        assert!(
            head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
                .keep_alive
        );
    }

    #[test]
    fn malformed_heads_are_errors() {
        assert!(parse_head(b"this is not http\r\n\r\n", false).is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n", false).is_err());
        assert!(
            parse_head(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                false
            )
            .is_err()
        );
    }

    #[test]
    fn a_missing_or_non_ascii_reason_is_an_empty_span() {
        for text in [
            &b"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n",
        ] {
            let h = parse_head(text, false).unwrap().unwrap();
            assert_eq!(h.reason, (0, 0));
        }
    }

    #[test]
    fn a_length_past_the_address_space_is_malformed() {
        let text = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", usize::MAX);
        assert!(parse_head(text.as_bytes(), false).is_err());
    }

    #[test]
    fn decodes_chunks_across_reads() {
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        let mut decoder = Chunked::default();
        let mut buf = BytesMut::new();
        let mut body = BytesMut::new();
        let mut done = false;
        for byte in wire {
            buf.extend_from_slice(&[*byte]);
            if decoder.decode(&mut buf, &mut body).unwrap() {
                done = true;
                break;
            }
        }
        assert!(done);
        assert_eq!(&body[..], b"Wikipedia");
        assert!(buf.is_empty(), "the decoder stops right after the trailers");
    }

    #[test]
    fn rejects_bad_chunks() {
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        assert!(
            Chunked::default()
                .decode(&mut buf, &mut BytesMut::new())
                .is_err()
        );
        let mut buf = BytesMut::from(&b"2\r\nabcd\r\n"[..]);
        assert!(
            Chunked::default()
                .decode(&mut buf, &mut BytesMut::new())
                .is_err()
        );
    }

    #[test]
    fn decimal_lengths() {
        for n in [0usize, 7, 10, 12345, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }
}
