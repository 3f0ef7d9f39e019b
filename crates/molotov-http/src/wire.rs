//! The client's response decoder as a pure function of the bytes a server sent, for property
//! tests, differential tests and fuzzing.
//!
//! **Not a stable API**: hidden from the documentation, it may change or go away with any
//! release. It exists so that tests drive exactly the code the client runs: the head is found
//! by `HeadEnd` and parsed by `parse_head`, informational (1xx) responses are skipped as
//! `Conn::read_head` skips them, and the body is read by `BodyReader` (a length, the chunked
//! decoder, or everything until the end of the input), through the same buffer logic as the
//! client's reads; only the socket is replaced by a list of pieces.

use bytes::{Buf, BytesMut};

use crate::body::BodyReader;
use crate::error::{Kind, Problem};
use crate::head::{self, HeadEnd, MAX_HEAD};

/// What the client makes of a byte stream sent in answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A whole response.
    Complete {
        /// The status code of the final (non-informational) response.
        status: u16,
        /// Its header lines, in order, as `(name, value)`; names as sent (not lower-cased).
        headers: Vec<(String, Vec<u8>)>,
        /// The body with its transfer coding removed (not content-decoded).
        body: Vec<u8>,
        /// Everything after the response: what the client would find left in its buffer or
        /// read next. The client reuses a connection only when this is empty.
        leftover: Vec<u8>,
        /// Whether the head lets the connection carry another request (HTTP/1.1 without
        /// `Connection: close`, HTTP/1.0 with `keep-alive` and without `Transfer-Encoding`,
        /// and a framing that does not end with the connection).
        keep_alive: bool,
    },
    /// The input ended before the response did: the client reports the connection closed.
    Incomplete,
    /// The client refuses the response.
    Refused {
        /// The kind the client reports: `"protocol"` (not valid HTTP/1.1) or `"too-large"`
        /// (over one of its limits).
        kind: &'static str,
        /// What was wrong, as the client's error says it.
        reason: &'static str,
    },
}

/// Decodes the response that `pieces` carry, fed one after another as successive reads of a
/// socket (empty pieces are skipped: an empty read is the end of the stream), then the end of
/// the stream.
///
/// `head_request` tells whether the request was a HEAD (whose response has no body);
/// `max_body` is the client's `max_body` limit.
pub fn decode_response(pieces: &[&[u8]], head_request: bool, max_body: u64) -> Verdict {
    let mut reads = pieces.iter().copied().filter(|piece| !piece.is_empty());
    let mut rbuf = BytesMut::new();
    match decode(&mut reads, &mut rbuf, head_request, max_body) {
        Ok(Some((status, headers, body, keep_alive))) => {
            let mut leftover = rbuf.to_vec();
            reads.for_each(|piece| leftover.extend_from_slice(piece));
            Verdict::Complete {
                status,
                headers,
                body,
                leftover,
                keep_alive,
            }
        }
        Ok(None) => Verdict::Incomplete,
        Err(Problem::Malformed(m)) => Verdict::Refused {
            kind: Kind::Protocol.name(),
            reason: m.0,
        },
        Err(Problem::TooLarge(what)) => Verdict::Refused {
            kind: Kind::TooLarge.name(),
            reason: what,
        },
    }
}

/// Status, headers, body and keep-alive of a whole response.
type Whole = (u16, Vec<(String, Vec<u8>)>, Vec<u8>, bool);

/// Reads one response from `reads` into `rbuf`; `None` when the reads end first.
fn decode<'a>(
    reads: &mut impl Iterator<Item = &'a [u8]>,
    rbuf: &mut BytesMut,
    head_request: bool,
    max_body: u64,
) -> Result<Option<Whole>, Problem> {
    // The head, as `Conn::read_head` reads it.
    let mut end = HeadEnd::default();
    let head = loop {
        if let Some(len) = end.find(rbuf) {
            let head = head::parse_head(&rbuf[..len], head_request)?;
            if head.status.is_informational() {
                rbuf.advance(len);
                end.reset();
                continue;
            }
            break head;
        }
        if rbuf.len() > MAX_HEAD {
            return Err(Problem::TooLarge("the response head is over 64 KiB"));
        }
        match reads.next() {
            Some(piece) => rbuf.extend_from_slice(piece),
            None => return Ok(None),
        }
    };
    let head_bytes = rbuf.split_to(head.len);
    let text = |start: u32, end: u32| &head_bytes[start as usize..end as usize];
    let headers = head
        .spans
        .iter()
        .map(|&[ns, ne, vs, ve]| {
            let name = String::from_utf8_lossy(text(ns, ne)).into_owned();
            (name, text(vs, ve).to_vec())
        })
        .collect();

    // The body, as `BodyReader::read_some` reads it.
    let mut reader = BodyReader::new(head.framing, max_body)?;
    let mut body = BytesMut::new();
    loop {
        reader.take_from(rbuf, &mut body)?;
        if reader.is_done() {
            break;
        }
        match reads.next() {
            Some(piece) => rbuf.extend_from_slice(piece),
            None if reader.end_of_stream().is_ok() => break,
            None => return Ok(None),
        }
    }
    Ok(Some((
        head.status.as_u16(),
        headers,
        body.to_vec(),
        head.keep_alive,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(wire: &[u8]) -> Verdict {
        decode_response(&[wire], false, u64::MAX)
    }

    #[track_caller]
    fn assert_complete(verdict: &Verdict, status: u16, body: &[u8], left: &[u8], keep: bool) {
        match verdict {
            Verdict::Complete {
                status: s,
                body: b,
                leftover: l,
                keep_alive: k,
                ..
            } => assert_eq!((*s, &b[..], &l[..], *k), (status, body, left, keep)),
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn a_length_framed_response_and_what_follows_it() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloHTTP/1.1";
        let verdict = whole(wire);
        assert_complete(&verdict, 200, b"hello", b"HTTP/1.1", true);
        let Verdict::Complete { headers, .. } = verdict else {
            unreachable!()
        };
        assert_eq!(
            headers,
            [
                ("Content-Length".to_owned(), b"5".to_vec()),
                ("X-A".to_owned(), b"b".to_vec())
            ]
        );
    }

    #[test]
    fn pieces_are_successive_reads() {
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nX";
        for at in 0..=wire.len() {
            let (a, b) = wire.split_at(at);
            let verdict = decode_response(&[a, b"", b], false, u64::MAX);
            assert_complete(&verdict, 200, b"abc", b"X", true);
        }
    }

    #[test]
    fn informational_responses_are_skipped() {
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n\
                     HTTP/1.1 204 No Content\r\n\r\n";
        assert_complete(&whole(wire), 204, b"", b"", true);
    }

    #[test]
    fn a_body_until_the_end_of_the_input() {
        let wire = b"HTTP/1.1 200 OK\r\n\r\nall of it";
        assert_complete(&whole(wire), 200, b"all of it", b"", false);
        let head = decode_response(&[b"HTTP/1.1 200 OK\r\n\r\nno body"], true, 0);
        assert_complete(&head, 200, b"", b"no body", true);
    }

    #[test]
    fn cut_short_is_incomplete() {
        for wire in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        ] {
            assert_eq!(whole(wire), Verdict::Incomplete, "{wire:?}");
        }
    }

    #[test]
    fn refusals_carry_the_kind() {
        let smuggling =
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(matches!(
            whole(smuggling),
            Verdict::Refused {
                kind: "protocol",
                ..
            }
        ));
        let big = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
        assert_eq!(
            decode_response(&[big], false, 10),
            Verdict::Refused {
                kind: "too-large",
                reason: "the body is over max_body"
            }
        );
        let endless = vec![b'a'; MAX_HEAD + 1];
        assert!(matches!(
            decode_response(&[&endless], false, 10),
            Verdict::Refused {
                kind: "too-large",
                ..
            }
        ));
    }
}
