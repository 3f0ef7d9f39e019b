//! Reading a response body from its connection, as its framing says, within the client's
//! limits.
//!
//! A body is at most `max_body` bytes (as received; decoded bodies are bounded by the same
//! limit): a `Content-Length` over it is refused before anything is read, a chunked or
//! close-delimited body when it reaches it. Memory stays bounded by what the caller keeps: the
//! reader hands out bytes as they arrive (`read_some`), which is how a streamed response reads
//! a large body in constant memory.

use bytes::{Buf, BytesMut};

use crate::chunked::Chunked;
use crate::conn::Conn;
use crate::error::{Error, Kind, Problem};
use crate::head::Framing;

/// The default `max_body`: 1 GiB.
pub const DEFAULT_MAX_BODY: u64 = 1 << 30;

#[derive(Debug)]
enum State {
    /// This many bytes are still to come.
    Length(u64),
    Chunked(Box<Chunked>),
    /// Until the server closes the connection; `u64` counts the bytes so far.
    UntilClose(u64),
    Done,
}

/// The unread part of a response body.
#[derive(Debug)]
pub(crate) struct BodyReader {
    state: State,
    max_body: u64,
}

impl BodyReader {
    /// A reader for a body framed as `framing`; `TooLarge` when its declared length is over
    /// `max_body`.
    pub(crate) fn new(framing: Framing, max_body: u64) -> Result<Self, Problem> {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => State::Done,
            Framing::Length(n) if n > max_body => {
                return Err(Problem::TooLarge("the body is over max_body"));
            }
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Box::new(Chunked::new(max_body))),
            Framing::UntilClose => State::UntilClose(0),
        };
        Ok(BodyReader { state, max_body })
    }

    /// Whether the whole body was read.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Appends to `out` what of the body is buffered, reading the connection when nothing is,
    /// until at least one byte was added or the body is complete.
    pub(crate) async fn read_some(
        &mut self,
        conn: &mut Conn,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        let before = out.len();
        loop {
            self.take_from(&mut conn.rbuf, out)?;
            if self.is_done() || out.len() > before {
                return Ok(());
            }
            match conn.fill().await {
                Ok(0) => return self.end_of_stream(),
                Ok(_) => {}
                Err(e) => return Err(Error::from_io(e)),
            }
        }
    }

    /// Appends the rest of the body to `out`.
    pub(crate) async fn read_to_end(
        &mut self,
        conn: &mut Conn,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        if let State::Length(left) = self.state {
            // The usual case: a length, all of it buffered, taken without a copy.
            if out.is_empty() && conn.rbuf.len() as u64 >= left {
                let n = usize::try_from(left).unwrap_or(usize::MAX);
                *out = conn.rbuf.split_to(n);
                self.state = State::Done;
                return Ok(());
            }
            out.reserve(usize::try_from(left).unwrap_or(0).min(1 << 20));
        }
        while !self.is_done() {
            self.read_some(conn, out).await?;
        }
        Ok(())
    }

    /// Moves what is buffered in `rbuf` (a connection's read buffer) into `out`, as the
    /// framing allows: the buffer logic of [`read_some`](Self::read_some), apart from the
    /// socket, so that `wire` decodes bodies with exactly the client's code.
    pub(crate) fn take_from(
        &mut self,
        rbuf: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<(), Problem> {
        match &mut self.state {
            State::Done => {}
            State::Length(left) => {
                let n = rbuf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                out.extend_from_slice(&rbuf[..n]);
                rbuf.advance(n);
                *left -= n as u64;
                if *left == 0 {
                    self.state = State::Done;
                }
            }
            State::Chunked(decoder) => {
                if decoder.decode(rbuf, out)? {
                    self.state = State::Done;
                }
            }
            State::UntilClose(so_far) => {
                *so_far += rbuf.len() as u64;
                if *so_far > self.max_body {
                    return Err(Problem::TooLarge("the body is over max_body"));
                }
                out.extend_from_slice(rbuf);
                rbuf.clear();
            }
        }
        Ok(())
    }

    /// The server closed the connection: the end of a close-delimited body, or a body cut
    /// short.
    pub(crate) fn end_of_stream(&mut self) -> Result<(), Error> {
        if let State::UntilClose(_) = self.state {
            self.state = State::Done;
            return Ok(());
        }
        Err(Error::new(Kind::Closed).with_context("the body was cut short".to_owned()))
    }
}
