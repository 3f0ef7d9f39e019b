//! [`Rest`]: the part of a response body not read yet, with the connection it comes on.
//!
//! A response is returned once its head and the first part of its body are read (the whole
//! body, for [`Client::send`](crate::Client::send)); what is left is read as the caller asks
//! for it, decoded as it comes (`Content-Encoding`). When the body is complete, the connection
//! goes back to the client's pool, if its framing is certain: the response said keep-alive,
//! and nothing was left after the body. Dropped before the end, the connection is closed.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::BytesMut;

use crate::body::BodyReader;
use crate::client::Started;
use crate::conn::Conn;
use crate::decode::Decoder;
use crate::error::Error;
use crate::head::Head;
use crate::pool::{Origin, Pool};

/// The unread part of a response body.
pub(crate) struct Rest {
    /// `None` once the body is complete (the connection went back to the pool or closed).
    conn: Option<Conn>,
    reader: BodyReader,
    decoder: Option<Decoder>,
    pool: Rc<RefCell<Pool>>,
    origin: Origin,
    pub(crate) head: Head,
    pub(crate) retries: u32,
    received_before: u64,
    /// What the response had received when its connection was released.
    received_at_end: u64,
}

impl std::fmt::Debug for Rest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rest")
            .field("done", &self.is_done())
            .field("decoded", &self.decoder.is_some())
            .finish_non_exhaustive()
    }
}

impl Rest {
    pub(crate) fn new(started: Started, decoder: Option<Decoder>, pool: Rc<RefCell<Pool>>) -> Rest {
        let Started {
            conn,
            head,
            reader,
            origin,
            received_before,
            retries,
        } = started;
        Rest {
            conn: Some(conn),
            reader,
            decoder,
            pool,
            origin,
            head,
            retries,
            received_before,
            received_at_end: 0,
        }
    }

    /// Whether the whole body was read.
    pub(crate) fn is_done(&self) -> bool {
        self.conn.is_none()
    }

    /// Bytes of this response received so far on the wire (head, framing and body, before
    /// decoding).
    pub(crate) fn received(&self) -> u64 {
        match &self.conn {
            Some(conn) => conn.received - self.received_before - conn.rbuf.len() as u64,
            None => self.received_at_end,
        }
    }

    /// Reads the body (decoded) into `out` until it is complete or `out` holds at least
    /// `limit` bytes.
    pub(crate) async fn read_up_to(&mut self, out: &mut BytesMut, limit: u64) -> Result<(), Error> {
        while let Some(conn) = &mut self.conn {
            if out.len() as u64 >= limit {
                return Ok(());
            }
            match &mut self.decoder {
                None if limit == u64::MAX => self.reader.read_to_end(conn, out).await?,
                None => self.reader.read_some(conn, out).await?,
                Some(decoder) => {
                    let mut raw = BytesMut::new();
                    self.reader.read_some(conn, &mut raw).await?;
                    decoder.push(&raw, out)?;
                }
            }
            if self.reader.is_done() {
                self.end(out)?;
            }
        }
        Ok(())
    }

    /// The body is read: the decoder checks its end, the connection goes back to the pool if
    /// it can carry another request.
    fn end(&mut self, out: &mut BytesMut) -> Result<(), Error> {
        self.received_at_end = self.received();
        let conn = self.conn.take();
        if let Some(decoder) = self.decoder.take() {
            decoder.finish(out)?;
        }
        if let Some(conn) = conn {
            // Reused only when its framing is certain: nothing came after the body.
            if self.head.keep_alive && conn.rbuf.is_empty() {
                self.pool.borrow_mut().put(self.origin.as_ref(), conn);
            }
        }
        Ok(())
    }
}
