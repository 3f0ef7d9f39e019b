//! Requests on the wire: the head and the body's framing.
//!
//! A request's body is framed by `Content-Length`, which the client adds, or by the chunked
//! coding when the script asks for it with `Transfer-Encoding: chunked`. Framing headers a
//! script sets are checked against the body, never trusted blindly: a `Content-Length` that
//! is not the body's length, another transfer coding, or both headers at once would have the
//! server read a different request than the one counted, so they are refused before anything
//! is sent.

use http::{HeaderMap, HeaderValue, Method};
use url::{Position, Url};

use crate::chunked;
use crate::error::{Error, Kind};

/// Headers the client adds to every request unless the request or the defaults set them.
pub(crate) struct Added<'a> {
    pub(crate) user_agent: &'a str,
    /// The `Cookie` header value, if the jar has cookies for this URL.
    pub(crate) cookie: Option<&'a str>,
    /// The `Accept-Encoding` value, when responses are decompressed.
    pub(crate) accept_encoding: Option<&'a str>,
}

/// How a request body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFraming {
    /// `Content-Length` (added by the client unless the script gave the right one).
    Length,
    /// The chunked coding, which the script asked for.
    Chunked,
}

/// Appends the request head and body for `method url` to `out`.
///
/// `headers` win over `defaults`; `Host`, `User-Agent`, `Accept`, `Accept-Encoding` and
/// `Content-Length` are added only when neither sets them.
pub(crate) fn encode_request(
    out: &mut Vec<u8>,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    defaults: &HeaderMap,
    body: &[u8],
    added: &Added<'_>,
) -> Result<(), Error> {
    let header = |name: &http::HeaderName| -> Option<&HeaderValue> {
        headers
            .get(name)
            .or_else(|| defaults.get(name).filter(|_| !headers.contains_key(name)))
    };
    let framing = framing(
        header(&http::header::TRANSFER_ENCODING),
        header(&http::header::CONTENT_LENGTH),
        body.len(),
    )?;
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
    if let Some(encodings) = added.accept_encoding {
        if !has(&http::header::ACCEPT_ENCODING) {
            put_header(out, "accept-encoding", encodings.as_bytes());
        }
    }
    if let Some(cookie) = added.cookie {
        put_header(out, "cookie", cookie.as_bytes());
    }
    match framing {
        BodyFraming::Length => {
            let wants_length =
                !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH);
            if wants_length && !has(&http::header::CONTENT_LENGTH) {
                out.extend_from_slice(b"content-length: ");
                push_decimal(out, body.len());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
        BodyFraming::Chunked => {
            out.extend_from_slice(b"\r\n");
            chunked::encode_whole(out, body);
        }
    }
    Ok(())
}

/// The framing the script's own `Transfer-Encoding` and `Content-Length` ask for, if they are
/// right for a body of `len` bytes.
fn framing(
    transfer_encoding: Option<&HeaderValue>,
    content_length: Option<&HeaderValue>,
    len: usize,
) -> Result<BodyFraming, Error> {
    let refuse = |why: String| Err(Error::new(Kind::Request).with_context(why));
    match (transfer_encoding, content_length) {
        (Some(_), Some(_)) => refuse(
            "transfer-encoding and content-length cannot both be set: a server would read \
             another request than the one sent"
                .to_owned(),
        ),
        (Some(coding), None) => {
            if coding
                .as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"chunked")
            {
                Ok(BodyFraming::Chunked)
            } else {
                refuse(format!(
                    "transfer-encoding {coding:?} is not supported: only \"chunked\" (molotov \
                     frames the body itself; compress it with content-encoding)"
                ))
            }
        }
        (None, Some(length)) => {
            let given = std::str::from_utf8(length.as_bytes())
                .ok()
                .and_then(|text| text.trim().parse::<usize>().ok());
            match given {
                Some(given) if given == len => Ok(BodyFraming::Length),
                _ => refuse(format!(
                    "content-length {length:?} is not the length of the body ({len} bytes)"
                )),
            }
        }
        (None, None) => Ok(BodyFraming::Length),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const ADDED: Added<'static> = Added {
        user_agent: "ua",
        cookie: None,
        accept_encoding: None,
    };

    fn encode(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<String, Error> {
        let url = Url::parse("https://example.com/").unwrap();
        let mut out = Vec::new();
        encode_request(
            &mut out,
            method,
            &url,
            headers,
            &HeaderMap::new(),
            body,
            &ADDED,
        )?;
        Ok(String::from_utf8(out).unwrap())
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
            accept_encoding: Some("gzip, deflate"),
        };
        encode_request(
            &mut out,
            &Method::GET,
            &url,
            &headers,
            &defaults,
            b"",
            &added,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "GET /a/b?x=1&y=2 HTTP/1.1\r\nhost: example.com:8080\r\nx-one: 1\r\nx-two: 2\r\n\
             user-agent: molotov/test\r\naccept: */*\r\naccept-encoding: gzip, deflate\r\n\
             cookie: a=1\r\n\r\n"
        );
    }

    #[test]
    fn encodes_a_post_body_with_its_length() {
        let empty = HeaderMap::new();
        let text = encode(&Method::POST, &empty, b"{\"a\":1}").unwrap();
        assert!(
            text.starts_with("POST / HTTP/1.1\r\nhost: example.com\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with("content-length: 7\r\n\r\n{\"a\":1}"),
            "{text}"
        );
        assert!(
            encode(&Method::POST, &empty, b"")
                .unwrap()
                .contains("content-length: 0\r\n")
        );
    }

    #[test]
    fn a_scripts_framing_headers_are_honoured_or_refused() {
        let mut chunked = HeaderMap::new();
        chunked.insert("transfer-encoding", "Chunked".parse().unwrap());
        let text = encode(&Method::POST, &chunked, b"hello").unwrap();
        assert!(
            text.contains("\r\ntransfer-encoding: Chunked\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), "{text}");
        assert!(!text.contains("content-length"), "{text}");

        let mut length = HeaderMap::new();
        length.insert("content-length", "5".parse().unwrap());
        let text = encode(&Method::POST, &length, b"hello").unwrap();
        assert_eq!(text.matches("content-length").count(), 1, "{text}");

        let mut wrong = HeaderMap::new();
        wrong.insert("content-length", "3".parse().unwrap());
        let mut gzip = HeaderMap::new();
        gzip.insert("transfer-encoding", "gzip, chunked".parse().unwrap());
        let mut both = chunked.clone();
        both.insert("content-length", "5".parse().unwrap());
        for headers in [wrong, gzip, both] {
            let error = encode(&Method::POST, &headers, b"hello").unwrap_err();
            assert_eq!(error.kind(), Kind::Request, "{headers:?}");
        }
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
