//! One HTTP/1.1 connection: a socket (plain or TLS), its buffers, writing a request and
//! reading a response head on it. Reading the body is `body`'s.
//!
//! A connection is reused only when its framing is certain: the previous response ended
//! exactly where its framing said (nothing left in the read buffer), and nothing arrived on it
//! while it was idle ([`Conn::is_idle_clean`]). Otherwise bytes a server sent too many (an
//! extra response, a body longer than its length) would be read as the next request's
//! response.
//!
//! Cancel safety: dropping an exchange future half-way leaves the connection in an unknown
//! state, so the connection is dropped with it (the pool never sees it again). That is how a
//! timeout or a forced shutdown cancels a request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::{Error, Kind, Problem};
use crate::head::{self, Head, HeadEnd, MAX_HEAD};

/// Read buffer size; responses of a load test are mostly far smaller.
pub(crate) const READ_CHUNK: usize = 8 * 1024;

/// The socket under a connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether it is a TLS stream.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Whether TLS negotiated `h2` by ALPN.
    pub(crate) fn alpn_is_h2(&self) -> bool {
        match self {
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(b"h2"),
            Stream::Plain(_) => false,
        }
    }
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
    pub(crate) rbuf: BytesMut,
    /// The encoded request, reused across requests.
    pub(crate) wbuf: Vec<u8>,
    /// Whether this connection already carried a response (a stale keep-alive connection can
    /// fail without it being the request's fault).
    pub(crate) reused: bool,
    /// Bytes read from the socket so far (after TLS), for the statistics.
    pub(crate) received: u64,
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
            received: 0,
        }
    }

    /// The socket, for a protocol of its own (HTTP/2).
    pub(crate) fn into_stream(self) -> Stream {
        self.stream
    }

    /// Whether an idle connection may carry a request: nothing arrived on it since its last
    /// response, neither bytes nor its end. Asks the runtime what it already knows of the
    /// socket's readiness (no system call in the usual case, where nothing happened), and
    /// reads only when the socket looks readable.
    pub(crate) fn is_idle_clean(&mut self) -> bool {
        if !self.rbuf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        match &mut self.stream {
            Stream::Plain(tcp) => match tcp.poll_read_ready(&mut cx) {
                Poll::Pending => true,
                Poll::Ready(Err(_)) => false,
                // Readiness can be left over from the last read: look.
                Poll::Ready(Ok(())) => matches!(
                    tcp.try_read(&mut probe),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock
                ),
            },
            Stream::Tls(tls) => match tls.get_ref().0.poll_read_ready(&mut cx) {
                Poll::Pending => true,
                Poll::Ready(Err(_)) => false,
                // TLS records that carry no data (a session ticket) are handled by rustls and
                // leave the read pending; data, an alert or the end of the stream do not.
                Poll::Ready(Ok(())) => {
                    let mut buf = ReadBuf::new(&mut probe);
                    Pin::new(tls.as_mut())
                        .poll_read(&mut cx, &mut buf)
                        .is_pending()
                }
            },
        }
    }

    /// Writes `wbuf`.
    pub(crate) async fn write_request(&mut self) -> Result<(), Failed> {
        // A TLS stream may keep the tail of a write in its session until flushed (a no-op on
        // plain TCP).
        let written = match self.stream.write_all(&self.wbuf).await {
            Ok(()) => self.stream.flush().await,
            Err(e) => Err(e),
        };
        written.map_err(|e| Failed {
            error: Error::from_io(e),
            nothing_received: true,
        })
    }

    /// Reads the head of the response to the request written (skipping informational
    /// responses); the head's bytes stay at the front of `rbuf`.
    pub(crate) async fn read_head(&mut self, head_request: bool) -> Result<Head, Failed> {
        let mut end = HeadEnd::default();
        loop {
            if let Some(len) = end.find(&self.rbuf) {
                let head = head::parse_head(&self.rbuf[..len], head_request).map_err(fail)?;
                if head.status.is_informational() {
                    self.rbuf.advance(len);
                    end.reset();
                    continue;
                }
                self.reused = true;
                return Ok(head);
            }
            if self.rbuf.len() > MAX_HEAD {
                return Err(fail(Problem::TooLarge("the response head is over 64 KiB")));
            }
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
    }

    /// Reads more bytes into `rbuf`; `Ok(0)` at end of stream.
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
            self.rbuf.reserve(READ_CHUNK);
        }
        let n = self.stream.read_buf(&mut self.rbuf).await?;
        self.received += n as u64;
        Ok(n)
    }
}

fn fail(problem: impl Into<Problem>) -> Failed {
    Failed {
        error: problem.into().into(),
        nothing_received: false,
    }
}
