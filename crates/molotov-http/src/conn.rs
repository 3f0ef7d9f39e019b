//! One HTTP/1.1 connection: a socket (plain or TLS), its buffers, and the exchange of one
//! request for one response on it.
//!
//! Cancel safety: dropping an exchange future half-way leaves the connection in an unknown
//! state, so the connection is dropped with it (the pool never sees it again). That is how a
//! timeout or a forced shutdown cancels a request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::codec::{self, Chunked, Framing, Head};
use crate::error::{Error, Kind, Malformed};

/// Read buffer size; responses of a load test are mostly far smaller.
const READ_CHUNK: usize = 8 * 1024;
/// Bodies up to this size are copied out of the read buffer (one small allocation) so the
/// buffer is reused; larger ones are split off without a copy.
const COPY_LIMIT: usize = 16 * 1024;
/// The largest response head we accept.
const MAX_HEAD: usize = 64 * 1024;

/// The socket under a connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A connection with its buffers, owned by one request at a time.
pub(crate) struct Conn {
    stream: Stream,
    /// Bytes read but not consumed yet.
    rbuf: BytesMut,
    /// The encoded request, reused across requests.
    pub(crate) wbuf: Vec<u8>,
    /// Whether this connection already carried a response (a stale keep-alive connection can
    /// fail without it being the request's fault).
    pub(crate) reused: bool,
}

/// What came back: the raw head and body plus the parsed head.
pub(crate) struct Exchanged {
    pub(crate) head: Head,
    /// The head bytes (offsets in `head` point into them).
    pub(crate) head_bytes: Bytes,
    pub(crate) body: Bytes,
}

/// A failed exchange, and whether the server sent nothing at all (then a request on a reused
/// connection may be retried on a fresh one).
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) nothing_received: bool,
}

impl Conn {
    pub(crate) fn new(stream: Stream) -> Self {
        Conn {
            stream,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            wbuf: Vec::with_capacity(256),
            reused: false,
        }
    }

    /// Writes `wbuf` and reads one complete response.
    pub(crate) async fn exchange(&mut self, head_request: bool) -> Result<Exchanged, Failed> {
        // A TLS stream may keep the tail of a write in its session until flushed (a no-op on
        // plain TCP).
        let written = match self.stream.write_all(&self.wbuf).await {
            Ok(()) => self.stream.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            return Err(Failed {
                error: Error::from_io(e),
                nothing_received: true,
            });
        }
        let head = loop {
            match codec::parse_head(&self.rbuf, head_request) {
                Ok(Some(head)) if head.status.is_informational() => self.rbuf.advance(head.len),
                Ok(Some(head)) => break head,
                Ok(None) if self.rbuf.len() > MAX_HEAD => {
                    return Err(fail(Malformed("response head too large").into()));
                }
                Ok(None) => {
                    let nothing = self.rbuf.is_empty();
                    match self.fill().await {
                        Ok(0) => {
                            return Err(Failed {
                                error: Error::new(Kind::Closed),
                                nothing_received: nothing,
                            });
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return Err(Failed {
                                error: Error::from_io(e),
                                nothing_received: nothing,
                            });
                        }
                    }
                }
                Err(m) => return Err(fail(m.into())),
            }
        };
        self.reused = true;
        match head.framing {
            Framing::Empty => {
                let head_bytes = self.rbuf.split_to(head.len).freeze();
                Ok(Exchanged {
                    head,
                    head_bytes,
                    body: Bytes::new(),
                })
            }
            Framing::Length(n) => {
                while self.rbuf.len() < head.len + n {
                    self.fill_or_closed().await?;
                }
                Ok(self.take(head, n))
            }
            Framing::Chunked => Box::pin(self.read_chunked(head)).await,
            Framing::UntilClose => Box::pin(self.read_until_close(head)).await,
        }
    }

    /// Reads more bytes into `rbuf`; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
            self.rbuf.reserve(READ_CHUNK);
        }
        self.stream.read_buf(&mut self.rbuf).await
    }

    async fn fill_or_closed(&mut self) -> Result<(), Failed> {
        match self.fill().await {
            Ok(0) => Err(fail(Error::new(Kind::Closed))),
            Ok(_) => Ok(()),
            Err(e) => Err(fail(Error::from_io(e))),
        }
    }

    /// Splits the head and an `n`-byte body off the read buffer.
    fn take(&mut self, head: Head, n: usize) -> Exchanged {
        let total = head.len + n;
        if total <= COPY_LIMIT {
            // One allocation holds both; the read buffer stays ours and is reused.
            let all = Bytes::copy_from_slice(&self.rbuf[..total]);
            self.rbuf.advance(total);
            Exchanged {
                head_bytes: all.slice(..head.len),
                body: all.slice(head.len..),
                head,
            }
        } else {
            let head_bytes = self.rbuf.split_to(head.len).freeze();
            let body = self.rbuf.split_to(n).freeze();
            Exchanged {
                head,
                head_bytes,
                body,
            }
        }
    }

    async fn read_chunked(&mut self, head: Head) -> Result<Exchanged, Failed> {
        let head_bytes = self.rbuf.split_to(head.len).freeze();
        let mut decoder = Chunked::default();
        let mut body = BytesMut::new();
        loop {
            match decoder.decode(&mut self.rbuf, &mut body) {
                Ok(true) => break,
                Ok(false) => self.fill_or_closed().await?,
                Err(m) => return Err(fail(m.into())),
            }
        }
        Ok(Exchanged {
            head,
            head_bytes,
            body: body.freeze(),
        })
    }

    async fn read_until_close(&mut self, head: Head) -> Result<Exchanged, Failed> {
        loop {
            match self.fill().await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(fail(Error::from_io(e))),
            }
        }
        let head_bytes = self.rbuf.split_to(head.len).freeze();
        let body = self.rbuf.split().freeze();
        Ok(Exchanged {
            head,
            head_bytes,
            body,
        })
    }
}

fn fail(error: Error) -> Failed {
    Failed {
        error,
        nothing_received: false,
    }
}
