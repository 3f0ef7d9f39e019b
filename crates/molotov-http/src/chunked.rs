//! The chunked transfer coding: decoding a response body as it arrives, and framing a request
//! body.
//!
//! The decoder is a state machine fed the connection's read buffer after each read: it moves
//! chunk data out as soon as it is there (a 1 GB chunk is never held whole), looks at each
//! byte of a size line or of the trailers once (a line that never ends costs linear time), and
//! bounds everything a server controls: a size line is at most [`MAX_CHUNK_LINE`] bytes, the
//! trailers at most [`MAX_TRAILERS`], and the body at most the caller's budget (`max_body`),
//! checked when a chunk's size is read, before its data.

use bytes::{Buf, BytesMut};

use crate::error::{Malformed, Problem};

/// The longest chunk-size line accepted (the size, its extensions, CRLF).
pub const MAX_CHUNK_LINE: usize = 4 * 1024;
/// The largest trailer section accepted (every trailer line and the final blank line).
pub const MAX_TRAILERS: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// This many bytes of chunk data are still to come.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until a blank line.
    Trailers,
    /// The body is complete.
    Done,
}

/// Incremental decoder of a chunked body.
#[derive(Debug)]
pub(crate) struct Chunked {
    state: State,
    /// Bytes at the front of the buffer already scanned for the end of a line.
    scanned: usize,
    /// How many more body bytes are accepted.
    budget: u64,
    /// Bytes of trailer lines consumed so far.
    trailers: usize,
}

impl Chunked {
    /// A decoder that accepts at most `max_body` bytes of body.
    pub(crate) fn new(max_body: u64) -> Self {
        Chunked {
            state: State::Size,
            scanned: 0,
            budget: max_body,
            trailers: 0,
        }
    }

    /// Moves what it can from the front of `buf` (the bytes read so far) to `body`; returns
    /// `true` once the last chunk and the trailers are consumed (what follows them stays in
    /// `buf`), `false` when it needs more bytes.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        body: &mut BytesMut,
    ) -> Result<bool, Problem> {
        loop {
            match self.state {
                State::Done => return Ok(true),
                State::Size => {
                    let Some(end) =
                        self.line_end(buf, MAX_CHUNK_LINE, "a chunk-size line is over 4 KiB")?
                    else {
                        return Ok(false);
                    };
                    let size = parse_chunk_size(&buf[..end])?;
                    buf.advance(end + 2);
                    if size == 0 {
                        self.state = State::Trailers;
                        continue;
                    }
                    if size > self.budget {
                        return Err(Problem::TooLarge("the body is over max_body"));
                    }
                    self.budget -= size;
                    self.state = State::Data(size);
                }
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(false);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    body.extend_from_slice(&buf[..n]);
                    buf.advance(n);
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(false);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(Malformed("chunk not followed by CRLF").into());
                    }
                    buf.advance(2);
                    self.state = State::Size;
                }
                State::Trailers => {
                    let room = MAX_TRAILERS - self.trailers;
                    let Some(end) = self.line_end(buf, room, "the trailers are over 64 KiB")?
                    else {
                        return Ok(false);
                    };
                    buf.advance(end + 2);
                    if end == 0 {
                        // The blank line: the end of the body.
                        self.state = State::Done;
                    } else {
                        // A trailer line: not kept, but counted against the limit.
                        self.trailers += end + 2;
                    }
                }
            }
        }
    }

    /// The position of the CRLF ending the line at the front of `buf`, scanning only bytes not
    /// scanned before; `TooLarge` once the line is longer than `max`.
    fn line_end(
        &mut self,
        buf: &[u8],
        max: usize,
        too_large: &'static str,
    ) -> Result<Option<usize>, Problem> {
        let from = self.scanned.saturating_sub(1);
        if let Some(at) = buf[from.min(buf.len())..]
            .windows(2)
            .position(|w| w == b"\r\n")
        {
            let end = from + at;
            self.scanned = 0;
            if end + 2 > max {
                return Err(Problem::TooLarge(too_large));
            }
            return Ok(Some(end));
        }
        self.scanned = buf.len();
        if buf.len() >= max {
            return Err(Problem::TooLarge(too_large));
        }
        Ok(None)
    }
}

/// A chunk size: hexadecimal digits before any `;extension`, at most 16 of them.
fn parse_chunk_size(line: &[u8]) -> Result<u64, Malformed> {
    let hex = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if hex.is_empty() || hex.len() > 16 {
        return Err(Malformed("invalid chunk size"));
    }
    let mut n = 0u64;
    for &c in hex {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(Malformed("invalid chunk size")),
        };
        n = (n << 4) | u64::from(digit);
    }
    Ok(n)
}

/// Appends `body` to `out` as one chunk and the last chunk: the framing of a request whose
/// script set `Transfer-Encoding: chunked`.
pub(crate) fn encode_whole(out: &mut Vec<u8>, body: &[u8]) {
    if !body.is_empty() {
        push_chunk_head(out, body.len());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
}

/// `{size in hex}\r\n`.
pub(crate) fn push_chunk_head(out: &mut Vec<u8>, size: usize) {
    use std::io::Write as _;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{size:x}\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(wire: &[u8], max_body: u64, split: usize) -> Result<(Vec<u8>, Vec<u8>), Problem> {
        let mut decoder = Chunked::new(max_body);
        let mut buf = BytesMut::new();
        let mut body = BytesMut::new();
        for piece in wire.chunks(split.max(1)) {
            buf.extend_from_slice(piece);
            if decoder.decode(&mut buf, &mut body)? {
                let rest = buf.to_vec();
                return Ok((body.to_vec(), rest));
            }
        }
        Err(Problem::Malformed(Malformed("incomplete")))
    }

    #[test]
    fn decodes_chunks_across_reads_of_any_size() {
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for split in 1..wire.len() {
            let (body, rest) = decode_all(wire, u64::MAX, split).unwrap();
            assert_eq!(body, b"Wikipedia", "split {split}");
            assert_eq!(
                rest,
                b"NEXT"[..rest.len()],
                "the decoder stops right after the trailers"
            );
        }
    }

    #[test]
    fn rejects_bad_chunks() {
        for wire in [
            &b"zz\r\n"[..],
            b"2\r\nabcd\r\n",
            b"\r\n",
            b"12345678901234567\r\n",
        ] {
            assert!(
                matches!(decode_all(wire, u64::MAX, 64), Err(Problem::Malformed(_))),
                "{wire:?}"
            );
        }
    }

    #[test]
    fn sizes_lines_and_trailers_have_limits() {
        // A chunk size far past the budget is refused before any of its data is read.
        let huge = b"fffffffffffffff\r\n";
        assert!(matches!(
            decode_all(huge, 1 << 30, 64),
            Err(Problem::TooLarge(_))
        ));
        // The budget counts every chunk.
        let two = b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
        assert!(decode_all(two, 16, 3).is_ok());
        assert!(matches!(decode_all(two, 15, 3), Err(Problem::TooLarge(_))));
        // A size line that never ends, fed a byte at a time: refused past the limit.
        let endless = [b"1;".as_slice(), &vec![b'x'; MAX_CHUNK_LINE * 2]].concat();
        assert!(matches!(
            decode_all(&endless, u64::MAX, 1),
            Err(Problem::TooLarge(_))
        ));
        // Trailers that never end.
        let trailers: Vec<u8> = [
            b"0\r\n".as_slice(),
            &b"T: v\r\n".repeat(MAX_TRAILERS / 6 + 1),
        ]
        .concat();
        assert!(matches!(
            decode_all(&trailers, u64::MAX, 7),
            Err(Problem::TooLarge(_))
        ));
    }

    #[test]
    fn a_line_is_scanned_once_as_it_grows() {
        // Fed a byte at a time, the decoder remembers how far it looked, so each call looks at
        // the new byte (and the one before), not the whole line again.
        let mut decoder = Chunked::new(u64::MAX);
        let mut buf = BytesMut::new();
        let mut body = BytesMut::new();
        for n in 1..MAX_CHUNK_LINE - 8 {
            buf.extend_from_slice(b"a");
            assert!(!decoder.decode(&mut buf, &mut body).unwrap());
            assert_eq!(decoder.scanned, n);
        }
    }

    #[test]
    fn request_bodies_are_framed() {
        let mut out = Vec::new();
        encode_whole(&mut out, b"hello, world!!!!!");
        assert_eq!(out, b"11\r\nhello, world!!!!!\r\n0\r\n\r\n");
        let mut out = Vec::new();
        encode_whole(&mut out, b"");
        assert_eq!(out, b"0\r\n\r\n");
        let (body, _) = decode_all(b"11\r\nhello, world!!!!!\r\n0\r\n\r\n", u64::MAX, 5).unwrap();
        assert_eq!(body, b"hello, world!!!!!");
    }
}
