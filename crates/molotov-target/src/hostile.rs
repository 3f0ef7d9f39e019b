//! The misbehaviours: broken or hostile HTTP on purpose, for clients' tests.
//!
//! A connection whose first request asks for one is served here, by hand, request after
//! request: other paths get a plain `200 ok` (keep-alive), so a client that wrongly reuses a
//! connection after a hostile response reads the wrong response and its tests see it. Each
//! misbehaviour says what it writes, and whether the connection stays open after it.
//!
//! Endless ones (`/endless-*`) write at most [`ENDLESS_LIMIT`] bytes, then stop, so a client
//! that keeps reading does not keep the server busy forever.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::endpoints::PATTERN;

/// The most an endless misbehaviour writes.
pub(crate) const ENDLESS_LIMIT: usize = 256 * 1024 * 1024;

/// The plain answer to any other path on a hostile connection.
pub(crate) const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// A way to break HTTP on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Misbehaviour {
    /// A response whose `Content-Length` is not a number.
    Malformed,
    /// A response that ends 90 bytes short of its `Content-Length`.
    Truncated,
    /// No response at all: the connection closes.
    Drop,
    /// Bytes that are not HTTP.
    Garbage,
    /// A status that is not a number.
    GarbageStatus,
    /// An invalid chunk size.
    BadChunk,
    /// Half a head, then a reset (`SO_LINGER` 0).
    ResetHead,
    /// The head a byte every 20 ms, then an empty body.
    SlowHead,
    /// Reads the request and never answers (the connection stays open).
    Never,
    /// A response and, in the same write, a second one nobody asked for (`299`).
    ExtraResponse,
    /// A body longer than its `Content-Length`: bytes that belong to no response follow it.
    LongBody,
    /// A response, then, 100 ms later, a `299` response on the idle connection.
    LateBytes,
    /// `Content-Length: 1000000000000` and a few bytes.
    HugeLength,
    /// A chunk of size `fffffffffffffff`.
    HugeChunk,
    /// A chunk-size line that never ends (`1;xxxx...`).
    EndlessChunkLine,
    /// Trailers that never end.
    EndlessTrailers,
    /// A head of 100 KiB (one long header).
    BigHead,
    /// `Transfer-Encoding: chunked` and `Content-Length` together.
    TeAndCl,
    /// A body with no length, ending when the connection does, that never ends.
    EndlessBody,
    /// A keep-alive response, then the connection closed 50 ms later (a stale connection).
    CloseAfter,
    /// `Content-Length: 1048576` and the first 128 KiB of the body (`/bytes`' pattern), then
    /// silence: a body that stalls half-way.
    StallBody,
}

/// What happens to the connection after a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// It serves the next request.
    KeepOpen,
    /// It is closed.
    Close,
    /// It is reset (RST) at once.
    Reset,
    /// It is left open, silent, until the client goes.
    Hang,
}

impl Misbehaviour {
    pub(crate) const ALL: [Self; 21] = [
        Self::Malformed,
        Self::Truncated,
        Self::Drop,
        Self::Garbage,
        Self::GarbageStatus,
        Self::BadChunk,
        Self::ResetHead,
        Self::SlowHead,
        Self::Never,
        Self::ExtraResponse,
        Self::LongBody,
        Self::LateBytes,
        Self::HugeLength,
        Self::HugeChunk,
        Self::EndlessChunkLine,
        Self::EndlessTrailers,
        Self::BigHead,
        Self::TeAndCl,
        Self::EndlessBody,
        Self::CloseAfter,
        Self::StallBody,
    ];

    /// The path that asks for it, and that it is counted under.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Malformed => "/malformed",
            Self::Truncated => "/truncated",
            Self::Drop => "/drop",
            Self::Garbage => "/garbage",
            Self::GarbageStatus => "/garbage-status",
            Self::BadChunk => "/bad-chunk",
            Self::ResetHead => "/reset-head",
            Self::SlowHead => "/slow-head",
            Self::Never => "/never",
            Self::ExtraResponse => "/extra-response",
            Self::LongBody => "/long-body",
            Self::LateBytes => "/late-bytes",
            Self::HugeLength => "/huge-length",
            Self::HugeChunk => "/huge-chunk",
            Self::EndlessChunkLine => "/endless-chunk-line",
            Self::EndlessTrailers => "/endless-trailers",
            Self::BigHead => "/big-head",
            Self::TeAndCl => "/te-and-cl",
            Self::EndlessBody => "/endless-body",
            Self::CloseAfter => "/close-after",
            Self::StallBody => "/stall-body",
        }
    }

    /// The misbehaviour a path asks for.
    pub(crate) fn for_path(path: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.path().as_bytes() == path)
    }

    /// Writes the reply; says what becomes of the connection.
    pub(crate) async fn act(self, stream: &mut TcpStream) -> std::io::Result<After> {
        let fixed: &[u8] = match self {
            Self::Malformed => b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nxx",
            Self::Truncated => {
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n0123456789"
            }
            Self::Garbage => b"this is not http\r\n\r\n",
            Self::GarbageStatus => b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
            Self::BadChunk => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
            Self::ExtraResponse => {
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 299 Extra\r\nContent-Length: 0\r\n\r\n"
            }
            Self::LongBody => {
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\noktoo long: bytes of no response"
            }
            Self::HugeLength => b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n0123456789",
            Self::HugeChunk => {
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n0123456789"
            }
            Self::TeAndCl => {
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            }
            Self::CloseAfter => OK,
            _ => b"",
        };
        stream.write_all(fixed).await?;
        let after = match self {
            Self::Malformed
            | Self::Truncated
            | Self::Drop
            | Self::Garbage
            | Self::GarbageStatus
            | Self::BadChunk => After::Close,
            Self::ExtraResponse | Self::LongBody | Self::TeAndCl => After::KeepOpen,
            Self::HugeLength | Self::HugeChunk | Self::Never => After::Hang,
            Self::ResetHead => {
                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Len").await?;
                After::Reset
            }
            Self::SlowHead => {
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    stream.write_all(&[*byte]).await?;
                }
                After::KeepOpen
            }
            Self::LateBytes => {
                stream.write_all(OK).await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
                stream
                    .write_all(b"HTTP/1.1 299 Late\r\nContent-Length: 0\r\n\r\n")
                    .await?;
                After::KeepOpen
            }
            Self::EndlessChunkLine => {
                endless(
                    stream,
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;",
                    b"x",
                )
                .await?;
                After::Close
            }
            Self::EndlessTrailers => {
                let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n";
                endless(stream, head, b"Trailer-Line: value\r\n").await?;
                After::Close
            }
            Self::EndlessBody => {
                endless(
                    stream,
                    b"HTTP/1.1 200 OK\r\n\r\n",
                    b"abcdefghijklmnopqrstuvwxyz",
                )
                .await?;
                After::Close
            }
            Self::BigHead => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\nok",
                    "a".repeat(100 * 1024)
                );
                stream.write_all(head.as_bytes()).await?;
                After::KeepOpen
            }
            Self::CloseAfter => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                After::Close
            }
            Self::StallBody => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n")
                    .await?;
                let part: Vec<u8> = PATTERN.iter().copied().cycle().take(128 * 1024).collect();
                stream.write_all(&part).await?;
                After::Hang
            }
        };
        Ok(after)
    }
}

/// Writes `head`, then `piece` over and over until [`ENDLESS_LIMIT`] bytes or the client goes.
async fn endless(stream: &mut TcpStream, head: &[u8], piece: &[u8]) -> std::io::Result<()> {
    stream.write_all(head).await?;
    let block = piece.repeat((16 * 1024 / piece.len()).max(1));
    let mut written = 0;
    while written < ENDLESS_LIMIT {
        stream.write_all(&block).await?;
        written += block.len();
    }
    Ok(())
}
