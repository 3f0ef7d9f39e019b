//! [`Response`]: the HTTP client's response plus what scenario code wants from it (JSON), and
//! the reading of a streamed body, recorded when it is complete.

use std::ops::Deref;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::Failure;
use crate::exchange::Exchange;

/// A response. Derefs to [`molotov_http::Response`] for status, headers, body, URL and
/// history. From [`Session::send`](crate::Session::send) its body is complete; from
/// [`Session::send_streamed`](crate::Session::send_streamed) it may not be yet: read the rest
/// with [`Response::chunk`] or [`Response::finish`].
pub struct Response {
    inner: molotov_http::Response,
    /// A streamed response's request, recorded once its body is complete.
    pending: Option<Box<Exchange>>,
    /// Body bytes handed out by [`Response::chunk`] so far.
    handed_out: u64,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("inner", &self.inner)
            .field("streaming", &self.pending.is_some())
            .field("handed_out", &self.handed_out)
            .finish_non_exhaustive()
    }
}

/// A clone has the body read so far; the unread part of a streamed body comes once, to the
/// original.
impl Clone for Response {
    fn clone(&self) -> Self {
        Response::from(self.inner.clone())
    }
}

impl Response {
    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.inner.body())
    }

    /// `Err` with kind `"status"` when the status is 4xx or 5xx (aiohttp's
    /// `raise_for_status`).
    pub fn error_for_status(self) -> Result<Self, Failure> {
        let status = self.inner.status();
        if status.is_client_error() || status.is_server_error() {
            return Err(Failure::new(
                "status",
                format!(
                    "{} {} for {}",
                    status.as_u16(),
                    self.inner.reason(),
                    self.inner.url()
                ),
            ));
        }
        Ok(self)
    }

    pub(crate) fn streamed(inner: molotov_http::Response, exchange: Exchange) -> Self {
        Response {
            inner,
            pending: Some(Box::new(exchange)),
            handed_out: 0,
        }
    }

    /// Whether the whole body was read.
    pub fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }

    /// The next piece of the body (see [`molotov_http::Response::chunk`]); `None` at the end.
    /// The request is recorded when the body ends or fails.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, molotov_http::Error> {
        let piece = self.inner.chunk().await;
        match &piece {
            Ok(Some(bytes)) => self.handed_out += bytes.len() as u64,
            Ok(None) => self.record_now(),
            Err(e) => {
                if let Some(exchange) = self.pending.take() {
                    exchange.record_error(e);
                }
            }
        }
        if self.inner.is_complete() && self.inner.body().is_empty() {
            self.record_now();
        }
        piece
    }

    /// Reads the rest of the body into [`Response::body`](molotov_http::Response::body), and
    /// records the request.
    pub async fn finish(&mut self) -> Result<(), molotov_http::Error> {
        let read = self.inner.finish().await;
        match &read {
            Ok(()) => self.record_now(),
            Err(e) => {
                if let Some(exchange) = self.pending.take() {
                    exchange.record_error(e);
                }
            }
        }
        read
    }

    /// Gives up the rest of a streamed body because of `error` (a limit the caller applies to
    /// reading it, such as a timeout): the request is recorded as failed with it, unless it
    /// was recorded already. Drop the response afterwards (its connection is closed).
    pub fn fail(&mut self, error: &molotov_http::Error) {
        if let Some(exchange) = self.pending.take() {
            exchange.record_error(error);
        }
    }

    /// Records a streamed response's request now, with what its body moved so far.
    fn record_now(&mut self) {
        if let Some(exchange) = self.pending.take() {
            let body = self.handed_out + self.inner.body().len() as u64;
            exchange.record_response(&self.inner, body);
        }
    }
}

/// A streamed response dropped before its body ended is recorded then: a response came, its
/// body was not wanted (its connection is closed).
impl Drop for Response {
    fn drop(&mut self) {
        self.record_now();
    }
}

impl From<molotov_http::Response> for Response {
    fn from(inner: molotov_http::Response) -> Self {
        Response {
            inner,
            pending: None,
            handed_out: 0,
        }
    }
}

impl Deref for Response {
    type Target = molotov_http::Response;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}
