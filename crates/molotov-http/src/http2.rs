//! HTTP/2 (`ClientConfig::http2`): one connection per origin per client, multiplexing the
//! client's concurrent requests as streams, on the `h2` crate.
//!
//! Over TLS, `h2` and `http/1.1` are offered by ALPN and the server's pick is kept for the
//! origin: an origin that picked HTTP/1.1 goes through the HTTP/1.1 client from then on (its
//! first connection is handed to the HTTP/1.1 pool). Plain `http://` URLs use HTTP/2 with prior
//! knowledge (h2c). The connection's driver runs as a task of its own on the caller's runtime.
//!
//! The server's `MAX_CONCURRENT_STREAMS` is respected: a request waits for a free stream
//! (`SendRequest::ready`), and that wait is reported apart ([`Exchanged::queued`]) so that it
//! is not counted as the server's latency. Flow-control windows are large ([`WINDOW`]), so
//! downloads are not throttled by the protocol's 64 KiB default. A stream reset, a GOAWAY or a
//! protocol error is a failure with its own kind; after a GOAWAY or a connection error the
//! connection is forgotten and the next request opens a new one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use h2::client::SendRequest;
use http::{HeaderMap, Method, Request, StatusCode};
use url::Url;

use crate::conn::Stream;
use crate::error::{Error, Kind};
use crate::pool::{Origin, OriginRef};

/// The stream and connection flow-control windows we announce: 16 MiB, so that a download is
/// bounded by the network, not by window updates.
pub(crate) const WINDOW: u32 = 16 * 1024 * 1024;

/// Times a request whose stream the server refused is sent again.
const MAX_REFUSED: u32 = 3;

/// Headers HTTP/2 forbids (RFC 9113 §8.2.2): they are left out of a request.
const CONNECTION_SPECIFIC: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// An HTTP/2 connection as its requests see it: its handle, the server's stream limit (kept
/// current by the connection's driver), the streams open, and a wake-up when one ends.
#[derive(Clone)]
pub(crate) struct Multiplexed {
    send: SendRequest<Bytes>,
    limit: Arc<AtomicUsize>,
    open: Rc<Cell<usize>>,
    freed: Rc<tokio::sync::Notify>,
}

/// A stream slot taken; given back when dropped (the response read, failed or cancelled).
struct Taken<'a>(&'a Multiplexed);

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.0.open.set(self.0.open.get().saturating_sub(1));
        self.0.freed.notify_one();
    }
}

impl Multiplexed {
    /// Waits for a stream slot under the server's `MAX_CONCURRENT_STREAMS`; the wait is the
    /// request's queue time.
    async fn take(&self) -> (Taken<'_>, Duration) {
        let waiting = Instant::now();
        while self.open.get() >= self.limit.load(Ordering::Relaxed).max(1) {
            self.freed.notified().await;
        }
        self.open.set(self.open.get() + 1);
        (Taken(self), waiting.elapsed())
    }
}

/// What an origin speaks, once known.
enum Known {
    /// An HTTP/2 connection.
    H2(Multiplexed),
    /// The server picked HTTP/1.1 by ALPN.
    Http1,
}

/// The HTTP/2 connections of one client, by origin (a short vector: a worker talks to one or
/// two origins). Each origin has an async lock, so that concurrent first requests open one
/// connection, not one each.
#[derive(Default)]
pub(crate) struct Connections {
    origins: RefCell<Vec<(Origin, Slot)>>,
}

/// What is known of one origin, behind the lock its first requests wait on.
type Slot = Rc<tokio::sync::Mutex<Option<Known>>>;

/// What [`Connections::sender`] found for an origin.
pub(crate) enum Route {
    /// Send on this HTTP/2 connection.
    H2(Multiplexed),
    /// The origin speaks HTTP/1.1; here is a fresh connection to it when one was just opened.
    Http1(Option<Stream>),
}

impl Connections {
    fn slot(&self, origin: OriginRef<'_>) -> Slot {
        let mut origins = self.origins.borrow_mut();
        if let Some((_, slot)) = origins.iter().find(|(o, _)| origin.matches(o)) {
            return slot.clone();
        }
        let slot = Rc::new(tokio::sync::Mutex::new(None));
        origins.push((origin.to_owned(), slot.clone()));
        slot
    }

    /// The connection to `origin`, opened with `open` (which connects and says whether TLS
    /// picked `h2`) when there is none or it failed.
    pub(crate) async fn route<F, Fut>(&self, origin: OriginRef<'_>, open: F) -> Result<Route, Error>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Stream, Error>>,
    {
        let slot = self.slot(origin);
        let mut known = slot.lock().await;
        if let Some(Known::Http1) = &*known {
            return Ok(Route::Http1(None));
        }
        if let Some(Known::H2(mux)) = &mut *known {
            // A connection that got a GOAWAY or failed refuses new streams: open another.
            let ready =
                std::future::poll_fn(|cx| std::task::Poll::Ready(mux.send.poll_ready(cx))).await;
            if ready.is_pending_or_ok() {
                return Ok(Route::H2(mux.clone()));
            }
        }
        let stream = open().await?;
        if stream.is_tls() && !stream.alpn_is_h2() {
            *known = Some(Known::Http1);
            return Ok(Route::Http1(Some(stream)));
        }
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(WINDOW)
            .initial_connection_window_size(WINDOW)
            .max_frame_size(1024 * 1024)
            // Pushed streams are refused.
            .enable_push(false)
            .handshake::<_, Bytes>(stream)
            .await
            .map_err(error)?;
        // The driver ends when the connection does (every handle dropped, or an error). Each
        // time it runs, it notes the server's stream limit (SETTINGS may change it).
        let limit = Arc::new(AtomicUsize::new(usize::MAX));
        let noted = limit.clone();
        let mut connection = Box::pin(connection);
        tokio::spawn(std::future::poll_fn(move |cx| {
            let polled = connection.as_mut().poll(cx);
            noted.store(connection.max_concurrent_send_streams(), Ordering::Relaxed);
            polled.map(|_| ())
        }));
        let mux = Multiplexed {
            send,
            limit,
            open: Rc::new(Cell::new(0)),
            freed: Rc::new(tokio::sync::Notify::new()),
        };
        *known = Some(Known::H2(mux.clone()));
        Ok(Route::H2(mux))
    }
}

/// `poll_ready`'s outcome without its waker registration: a handle that is not ready now
/// (every stream busy) is still usable, only a failed one is not.
trait ReadyOutcome {
    fn is_pending_or_ok(&self) -> bool;
}

impl ReadyOutcome for std::task::Poll<Result<(), h2::Error>> {
    fn is_pending_or_ok(&self) -> bool {
        !matches!(self, std::task::Poll::Ready(Err(_)))
    }
}

/// A response received on a stream.
pub(crate) struct Exchanged {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// The body as received (still encoded).
    pub(crate) body: Bytes,
    /// Bytes received for it: headers (as their text) and body.
    pub(crate) received: u64,
    /// How long the request waited for a free stream before it was sent.
    pub(crate) queued: Duration,
    /// Times it was sent again after the server refused its stream.
    pub(crate) retries: u32,
}

/// Sends one request on `send` and reads its whole response, at most `max_body` bytes of
/// body. `headers` are the request's own (with the client's defaults, cookies and agent
/// already merged in); the connection-specific ones are left out.
pub(crate) async fn exchange(
    mux: &Multiplexed,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: &Bytes,
    max_body: u64,
) -> Result<Exchanged, Error> {
    let mut request: Request<()> = Request::builder()
        .method(method.clone())
        .uri(url.as_str())
        .body(())
        .map_err(|e| Error::new(Kind::Request).with_source(e))?;
    for (name, value) in headers {
        if !CONNECTION_SPECIFIC.contains(&name.as_str()) {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    if !body.is_empty() && !request.headers().contains_key(http::header::CONTENT_LENGTH) {
        request
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, body.len().into());
    }
    // A stream the server refused (`REFUSED_STREAM`: it did not process it, RFC 9113 §8.7;
    // typically sent before the client knew its stream limit) is sent again, a few times.
    let mut retries = 0;
    let mut queued = Duration::ZERO;
    let (_slot, response) = loop {
        let (slot, waited) = mux.take().await;
        queued += waited;
        let mut send = mux.send.clone().ready().await.map_err(error)?;
        let (response, mut stream) = send
            .send_request(request.clone(), body.is_empty())
            .map_err(error)?;
        if !body.is_empty() {
            stream.send_data(body.clone(), true).map_err(error)?;
        }
        match response.await {
            Ok(response) => break (slot, response),
            Err(e) if e.reason() == Some(h2::Reason::REFUSED_STREAM) && retries < MAX_REFUSED => {
                retries += 1;
            }
            Err(e) => return Err(error(e).with_retries(retries)),
        }
    };
    let (parts, mut recv) = response.into_parts();
    let mut received: u64 = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
        .sum();
    let mut out = BytesMut::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk.map_err(error)?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        received += chunk.len() as u64;
        if (out.len() + chunk.len()) as u64 > max_body {
            return Err(Error::new(Kind::TooLarge)
                .with_context(format!("the body is over {max_body} bytes")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Exchanged {
        status: parts.status,
        headers: parts.headers,
        body: out.freeze(),
        received,
        queued,
        retries,
    })
}

/// An `h2` error as one of ours: a stream reset (`h2-reset`), a GOAWAY (`h2-goaway`), an
/// I/O error, or any other protocol error (`h2-protocol`).
fn error(e: h2::Error) -> Error {
    let kind = if e.is_reset() {
        Kind::StreamReset
    } else if e.is_go_away() {
        Kind::GoAway
    } else if e.is_io() {
        return match e.into_io() {
            Some(io) => Error::from_io(io),
            None => Error::new(Kind::Io),
        };
    } else {
        Kind::Http2Protocol
    };
    let context = e.reason().map(|r| format!("{r:?}")).unwrap_or_default();
    Error::new(kind).with_context(context).with_source(e)
}

/// The response headers as the text of an HTTP/1-style head (`name: value` lines) and the
/// spans of each name and value in it, so that HTTP/2 responses have the same [`Headers`]
/// as HTTP/1.1 ones.
///
/// [`Headers`]: crate::Headers
pub(crate) fn head_text(headers: &HeaderMap) -> (Bytes, Vec<[u32; 4]>) {
    let mut text = BytesMut::new();
    let mut spans = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let offset = |t: &BytesMut| u32::try_from(t.len()).unwrap_or(u32::MAX);
        let name_start = offset(&text);
        text.extend_from_slice(name.as_str().as_bytes());
        let name_end = offset(&text);
        text.extend_from_slice(b": ");
        let value_start = offset(&text);
        text.extend_from_slice(value.as_bytes());
        let value_end = offset(&text);
        text.extend_from_slice(b"\r\n");
        spans.push([name_start, name_end, value_start, value_end]);
    }
    (text.freeze(), spans)
}

/// Whether `name` is one HTTP/2 forbids in a request.
#[cfg(test)]
fn forbidden(name: &http::HeaderName) -> bool {
    CONNECTION_SPECIFIC.contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_text_spans_find_every_header() {
        let mut map = HeaderMap::new();
        map.insert("content-type", "text/plain".parse().unwrap());
        map.append("set-cookie", "a=1".parse().unwrap());
        map.append("set-cookie", "b=2".parse().unwrap());
        let (text, spans) = head_text(&map);
        let headers = crate::Headers::new(text, spans);
        assert_eq!(headers.get("Content-Type"), Some("text/plain"));
        assert_eq!(headers.get_all_bytes("set-cookie").count(), 2);
        assert_eq!(headers.len(), 3);
    }

    #[test]
    fn connection_specific_headers_are_forbidden() {
        assert!(forbidden(&http::HeaderName::from_static(
            "transfer-encoding"
        )));
        assert!(!forbidden(&http::HeaderName::from_static("content-type")));
    }
}
