//! Response heads: finding where one ends, and parsing it (on `httparse`) into its status,
//! headers and framing.
//!
//! Pure functions over byte buffers. A server under test may be hostile: the end of a head is
//! found by scanning each byte once however the head arrives (a head sent a byte at a time
//! costs linear time, not a re-parse per byte), a head is at most [`MAX_HEAD`] bytes and
//! [`MAX_HEADERS`] lines whatever the reads, and framing that could let one response smuggle
//! another (`Transfer-Encoding` with `Content-Length`, conflicting lengths) is refused.

use http::{StatusCode, Version};

use crate::error::{Malformed, Problem};

/// The largest response head accepted (status line, header lines, blank line).
pub const MAX_HEAD: usize = 64 * 1024;
/// The most header lines a response head may have.
pub const MAX_HEADERS: usize = 128;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
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

/// Finds the end of a head (the blank line) as bytes arrive, looking at each byte once.
#[derive(Debug, Default)]
pub(crate) struct HeadEnd {
    /// Bytes already looked at.
    scanned: usize,
}

impl HeadEnd {
    /// The length of the head at the start of `buf`, blank line included, once it is all
    /// there. `buf` must be the same buffer as in the previous calls, with bytes appended.
    /// Lines may end with CRLF or a bare LF, as `httparse` accepts both.
    pub(crate) fn find(&mut self, buf: &[u8]) -> Option<usize> {
        // A line end may straddle the previous end of the buffer: look two bytes back.
        let mut at = self.scanned.saturating_sub(2);
        while let Some(offset) = buf[at..].iter().position(|&b| b == b'\n') {
            let newline = at + offset;
            match buf.get(newline + 1) {
                Some(b'\n') => return Some(newline + 2),
                Some(b'\r') => match buf.get(newline + 2) {
                    Some(b'\n') => return Some(newline + 3),
                    Some(_) => {}
                    None => break,
                },
                Some(_) => {}
                None => break,
            }
            at = newline + 1;
        }
        self.scanned = buf.len();
        None
    }

    /// Starts over, for the next head (after an informational response).
    pub(crate) fn reset(&mut self) {
        self.scanned = 0;
    }
}

/// Parses the complete head `head` (as [`HeadEnd::find`] delimited it).
///
/// `head_request` tells whether the request was a HEAD, whose response has no body.
pub(crate) fn parse_head(head: &[u8], head_request: bool) -> Result<Head, Problem> {
    if head.len() > MAX_HEAD {
        return Err(Problem::TooLarge("the response head is over 64 KiB"));
    }
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut raw);
    let len = match parsed.parse(head) {
        Ok(httparse::Status::Complete(len)) if len == head.len() => len,
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Problem::TooLarge(
                "the response head has over 128 header lines",
            ));
        }
        // Not HTTP, or not ending where the blank line said it does.
        Ok(_) | Err(_) => return Err(Malformed("cannot parse the response head").into()),
    };
    let code = parsed.code.ok_or(Malformed("no status code"))?;
    let status = StatusCode::from_u16(code).map_err(|_| Malformed("invalid status code"))?;
    let version = if parsed.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let base = head.as_ptr() as usize;
    let span = |s: &[u8]| -> (u32, u32) {
        // httparse hands out a static `""` (not a slice of `head`) for a missing or non-ASCII
        // reason phrase: its pointer says nothing about `head`, and any empty span will do.
        if s.is_empty() {
            return (0, 0);
        }
        // Slices handed out by httparse point into `head`, which is at most MAX_HEAD long.
        #[allow(clippy::cast_possible_truncation)]
        let start = (s.as_ptr() as usize - base) as u32;
        #[allow(clippy::cast_possible_truncation)]
        let end = start + s.len() as u32;
        (start, end)
    };
    let reason = parsed.reason.map_or((0, 0), |r| span(r.as_bytes()));

    let mut spans = Vec::with_capacity(parsed.headers.len());
    let mut length: Option<u64> = None;
    let mut transfer_encoding: Option<bool> = None;
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
                return Err(Malformed("conflicting content-length headers").into());
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // With several lines, the last coding of the last one decides.
            transfer_encoding = Some(last_token_is(header.value, b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close |= has_token(header.value, b"close");
            keep_alive_token |= has_token(header.value, b"keep-alive");
        }
    }

    let no_body = head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let framing = match (no_body, transfer_encoding, length) {
        (true, ..) => Framing::Empty,
        // RFC 9112 §6.3: both is how one response smuggles another; refuse it.
        (false, Some(_), Some(_)) => {
            return Err(Malformed("transfer-encoding and content-length together").into());
        }
        (false, Some(true), None) => Framing::Chunked,
        // A transfer coding other than chunked last: the body ends with the connection.
        (false, Some(false) | None, None) => Framing::UntilClose,
        (false, None, Some(n)) => Framing::Length(n),
    };
    let persistent = match version {
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing; the
        // connection is closed after it, whatever `Connection` says.
        Version::HTTP_10 => keep_alive_token && !close && transfer_encoding.is_none(),
        _ => !close,
    };
    Ok(Head {
        status,
        version,
        reason,
        spans,
        len,
        framing,
        keep_alive: persistent && framing != Framing::UntilClose,
    })
}

fn parse_length(value: &[u8]) -> Result<u64, Malformed> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Malformed("invalid content-length"));
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or(Malformed("invalid content-length"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a whole head given as text.
    fn head(text: &str) -> Head {
        let end = HeadEnd::default().find(text.as_bytes()).unwrap();
        parse_head(&text.as_bytes()[..end], false).unwrap()
    }

    fn problem(text: &[u8]) -> Problem {
        let end = HeadEnd::default().find(text).unwrap();
        parse_head(&text[..end], false).unwrap_err()
    }

    #[test]
    fn the_end_is_found_however_the_bytes_arrive() {
        let text = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
        for split in 1..text.len() {
            let mut end = HeadEnd::default();
            let mut buf = Vec::new();
            let mut found = None;
            for piece in [&text[..split], &text[split..]] {
                buf.extend_from_slice(piece);
                found = found.or_else(|| end.find(&buf));
            }
            assert_eq!(found, Some(text.len() - 4), "split at {split}");
        }
        // Bare LF line ends, one byte at a time.
        let lf = b"HTTP/1.1 204 No Content\nA: b\n\nrest";
        let mut end = HeadEnd::default();
        let found = (1..=lf.len()).find_map(|n| end.find(&lf[..n]));
        assert_eq!(found, Some(lf.len() - 4));
        assert_eq!(
            HeadEnd::default().find(b"HTTP/1.1 200 OK\r\nA: b\r\n"),
            None
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
        let other_coding = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!(other_coding.framing, Framing::UntilClose);
        assert!(!other_coding.keep_alive);
        let text = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        assert_eq!(parse_head(text, true).unwrap().framing, Framing::Empty);
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
    fn http10_with_transfer_encoding_is_not_kept_alive() {
        // Found by the differential tests (tests/it/wire_diff.rs): the chunks are decoded, but
        // framing an HTTP/1.0 server is not supposed to use is not trusted for another
        // response (RFC 9112 §6.1), even with `Connection: keep-alive`.
        let h =
            head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(!h.keep_alive);
        let h = head(
            "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\nTransfer-Encoding: x\r\n\r\n",
        );
        assert!(!h.keep_alive);
    }

    #[test]
    fn malformed_and_smuggling_heads_are_refused() {
        for text in [
            &b"this is not http\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        ] {
            assert!(matches!(problem(text), Problem::Malformed(_)), "{text:?}");
        }
    }

    #[test]
    fn big_heads_are_too_large_however_they_arrive() {
        let long = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
            "a".repeat(100 * 1024)
        );
        assert!(matches!(problem(long.as_bytes()), Problem::TooLarge(_)));
        let many = "X-Name: v\r\n".repeat(200);
        let many = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
        assert!(matches!(problem(many.as_bytes()), Problem::TooLarge(_)));
    }

    #[test]
    fn a_missing_or_non_ascii_reason_is_an_empty_span() {
        for text in [
            &b"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n",
        ] {
            let h = parse_head(text, false).unwrap();
            assert_eq!(h.reason, (0, 0));
        }
    }
}
