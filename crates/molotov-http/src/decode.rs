//! Content codings: the client asks for compressed responses (`Accept-Encoding: gzip, deflate,
//! br`, as aiohttp does) and decompresses them as they arrive, unless told not to
//! (`ClientConfig::auto_decompress`, aiohttp's `auto_decompress`).
//!
//! A decoder writes what it decodes into a bounded sink: a body decompresses to at most
//! `max_body` bytes, so a small "decompression bomb" fails with `too-large` once it reaches
//! the limit instead of growing without bound. `deflate` is the zlib format per the RFC, or raw
//! deflate, which some servers send: the first bytes tell which.

use std::io::{self, Write};

use brotli_decompressor::DecompressorWriter;
use bytes::BytesMut;
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

use crate::error::{Error, Kind};
use crate::response::Headers;

/// The codings asked for and decoded.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// The message of a sink that reached its limit.
const OVER_LIMIT: &str = "the decoded body is over max_body";

/// A content coding the client decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    /// The coding of a response, from its `Content-Encoding`: `None` for none, `identity`, or
    /// a coding the client does not decode (the body is then left as it came, as aiohttp does).
    pub(crate) fn of(headers: &Headers) -> Option<Coding> {
        let value = headers.get_bytes("content-encoding")?.trim_ascii();
        if value.eq_ignore_ascii_case(b"gzip") || value.eq_ignore_ascii_case(b"x-gzip") {
            Some(Coding::Gzip)
        } else if value.eq_ignore_ascii_case(b"deflate") {
            Some(Coding::Deflate)
        } else if value.eq_ignore_ascii_case(b"br") {
            Some(Coding::Brotli)
        } else {
            None
        }
    }
}

/// Decoded bytes, up to a limit.
struct Bounded {
    buf: Vec<u8>,
    left: u64,
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.len() as u64 > self.left {
            return Err(io::Error::other(OVER_LIMIT));
        }
        self.left -= data.len() as u64;
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Inner {
    /// `deflate` before its first two bytes tell zlib from raw deflate.
    Undecided(Vec<u8>, u64),
    Gzip(GzDecoder<Bounded>),
    Zlib(ZlibDecoder<Bounded>),
    Raw(DeflateDecoder<Bounded>),
    Brotli(Box<DecompressorWriter<Bounded>>),
}

/// A streaming decoder of one response body.
pub(crate) struct Decoder {
    inner: Inner,
    coding: Coding,
}

impl Decoder {
    /// A decoder of `coding` whose output is at most `max_body` bytes.
    pub(crate) fn new(coding: Coding, max_body: u64) -> Decoder {
        let sink = || Bounded {
            buf: Vec::new(),
            left: max_body,
        };
        let inner = match coding {
            Coding::Gzip => Inner::Gzip(GzDecoder::new(sink())),
            Coding::Deflate => Inner::Undecided(Vec::new(), max_body),
            Coding::Brotli => Inner::Brotli(Box::new(DecompressorWriter::new(sink(), 8 * 1024))),
        };
        Decoder { inner, coding }
    }

    /// Decodes `input` (the next bytes of the body as received), appending to `out`.
    pub(crate) fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<(), Error> {
        if let Inner::Undecided(start, max_body) = &mut self.inner {
            start.extend_from_slice(input);
            if start.len() < 2 {
                return Ok(());
            }
            let sink = Bounded {
                buf: Vec::new(),
                left: *max_body,
            };
            // A zlib stream starts with a header whose 16 bits are a multiple of 31, method 8.
            let zlib =
                start[0] & 0x0f == 8 && (u16::from(start[0]) << 8 | u16::from(start[1])) % 31 == 0;
            let buffered = std::mem::take(start);
            self.inner = if zlib {
                Inner::Zlib(ZlibDecoder::new(sink))
            } else {
                Inner::Raw(DeflateDecoder::new(sink))
            };
            return self.push(&buffered, out);
        }
        let written = match &mut self.inner {
            Inner::Undecided(..) => Ok(()),
            Inner::Gzip(d) => d.write_all(input),
            Inner::Zlib(d) => d.write_all(input),
            Inner::Raw(d) => d.write_all(input),
            Inner::Brotli(d) => d.write_all(input),
        };
        written.map_err(|e| self.error(&e))?;
        self.drain(out);
        Ok(())
    }

    /// Ends the body: decodes what is left, and checks that the stream was complete.
    pub(crate) fn finish(mut self, out: &mut BytesMut) -> Result<(), Error> {
        let finished = match &mut self.inner {
            Inner::Undecided(start, _) if start.is_empty() => Ok(()),
            Inner::Undecided(..) => Err(io::Error::other("a truncated deflate stream")),
            Inner::Gzip(d) => d.try_finish(),
            Inner::Zlib(d) => d.try_finish(),
            Inner::Raw(d) => d.try_finish(),
            Inner::Brotli(d) => d.flush().and_then(|()| d.close()),
        };
        finished.map_err(|e| self.error(&e))?;
        self.drain(out);
        Ok(())
    }

    /// Moves what was decoded so far to `out`.
    fn drain(&mut self, out: &mut BytesMut) {
        let sink = match &mut self.inner {
            Inner::Undecided(..) => return,
            Inner::Gzip(d) => d.get_mut(),
            Inner::Zlib(d) => d.get_mut(),
            Inner::Raw(d) => d.get_mut(),
            Inner::Brotli(d) => d.get_mut(),
        };
        out.extend_from_slice(&sink.buf);
        sink.buf.clear();
    }

    fn error(&self, e: &io::Error) -> Error {
        if e.to_string() == OVER_LIMIT {
            return Error::new(Kind::TooLarge).with_context(OVER_LIMIT.to_owned());
        }
        let coding = match self.coding {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        };
        Error::new(Kind::Protocol).with_context(format!("cannot decode the {coding} body: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(coding: Coding, wire: &[u8], max: u64, piece: usize) -> Result<Vec<u8>, Error> {
        let mut d = Decoder::new(coding, max);
        let mut out = BytesMut::new();
        for chunk in wire.chunks(piece.max(1)) {
            d.push(chunk, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out.to_vec())
    }

    #[test]
    fn gzip_and_both_deflates_decode_in_any_pieces() {
        let text = b"molotov ".repeat(1000);
        let gz = gzip(&text);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&text).unwrap();
        let zlib = z.finish().unwrap();
        let mut r = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(&text).unwrap();
        let raw = r.finish().unwrap();
        for piece in [1, 3, 100, 100_000] {
            assert_eq!(decode(Coding::Gzip, &gz, u64::MAX, piece).unwrap(), text);
            assert_eq!(
                decode(Coding::Deflate, &zlib, u64::MAX, piece).unwrap(),
                text
            );
            assert_eq!(
                decode(Coding::Deflate, &raw, u64::MAX, piece).unwrap(),
                text
            );
        }
    }

    #[test]
    fn brotli_decodes() {
        // What Debian's `brotli -c` writes for this text.
        let wire = [
            0x1f, 0x2e, 0x00, 0xf8, 0x1d, 0xa9, 0x53, 0x9f, 0xbb, 0x59, 0x82, 0xa0, 0xb5, 0x35,
            0x0b, 0x1b, 0x9d, 0x9d, 0x7e, 0x0b, 0x61, 0x2b, 0x1b, 0x4d, 0xc5, 0x00, 0xa6, 0x79,
            0x98, 0x72, 0x00,
        ];
        let text = b"hello, molotov! hello, molotov! hello, molotov!";
        for piece in [1, 2, 31] {
            assert_eq!(
                decode(Coding::Brotli, &wire, u64::MAX, piece).unwrap(),
                text
            );
        }
        let error = decode(Coding::Brotli, &wire[..20], u64::MAX, 4).unwrap_err();
        assert_eq!(error.kind(), Kind::Protocol, "a truncated stream");
    }

    #[test]
    fn a_bomb_stops_at_the_limit_and_garbage_is_a_protocol_error() {
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < 20_000);
        let error = decode(Coding::Gzip, &bomb, 1 << 20, 4096).unwrap_err();
        assert_eq!(error.kind(), Kind::TooLarge);
        let error = decode(Coding::Gzip, b"not gzip at all", u64::MAX, 4).unwrap_err();
        assert_eq!(error.kind(), Kind::Protocol);
        let mut cut = gzip(b"some text to cut short");
        cut.truncate(cut.len() - 6);
        assert_eq!(
            decode(Coding::Gzip, &cut, u64::MAX, 4).unwrap_err().kind(),
            Kind::Protocol
        );
    }
}
