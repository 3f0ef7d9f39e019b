//! The body of a response that was not complete with its head: read as the script asks,
//! piece by piece (`resp.content`) or whole (`read()`, `text()`, `json()`), by jobs that a
//! [`Pending`](crate::awaitable::Pending) performs, as it performs a request.
//!
//! A request is sent with [`EAGER`]: a body that fits arrives complete with the head (the fast
//! path: `read()` and `json()` need no I/O); a larger one stays in a [`Body`] cell. A read takes
//! the engine's response out of the cell for the duration of its I/O (nothing is borrowed
//! across an await) and puts it back. A second read meanwhile finds the cell busy and fails
//! with a clear error. A read cancelled half-way cannot put back what it had read: the response
//! is dropped (its connection closed, its request recorded) and later reads fail.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use molotov::http::{Error, Kind};
use pyo3::prelude::*;
use tokio::time::Instant;

use crate::response::PyResponse;

/// How much of a body arrives with its head before `await session.get(...)` returns: a body
/// this small is complete at once; a larger one is read as the script asks for it.
pub(crate) const EAGER: u64 = 64 * 1024;

/// The unread part of a response body, with the engine's response that reads it.
pub(crate) struct Body {
    state: RefCell<State>,
    /// When reading the body times out: the request's timeout, counted from its head.
    deadline: Option<Instant>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "one per streamed body, moved in and out of its cell by each read"
)]
enum State {
    /// Not being read.
    Open(molotov::Response),
    /// A read holds the response; `release` asks it to drop the response when it is done.
    Busy { release: bool },
    /// Read to its end, released, or failed.
    Ended,
    /// A read was cancelled half-way: the rest of the body is lost.
    Broken,
}

/// What a read wants.
#[derive(Clone, Copy)]
enum Want {
    /// The next piece, as it arrives.
    Piece,
    /// Everything left.
    Rest,
}

/// What a read got.
pub(crate) enum Got {
    /// The next piece (decoded); `None` at the end of the body.
    Piece(Option<Bytes>),
    /// The rest of the body.
    Rest(Bytes),
}

/// Why a read got nothing.
pub(crate) enum ReadError {
    /// The engine's error (the request is recorded with it).
    Http(Error),
    /// Another read of the same body is in progress.
    Busy,
    /// An earlier read was cancelled half-way.
    Broken,
}

impl Body {
    /// The body of `response`, to read within `timeout` from now.
    pub(crate) fn new(response: molotov::Response, timeout: Option<Duration>) -> Self {
        Body {
            state: RefCell::new(State::Open(response)),
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        }
    }

    async fn read(&self, want: Want) -> Result<Got, ReadError> {
        let response = {
            let mut state = self.state.borrow_mut();
            match std::mem::replace(&mut *state, State::Busy { release: false }) {
                State::Open(response) => response,
                other => {
                    let outcome = match other {
                        State::Busy { .. } => Err(ReadError::Busy),
                        State::Broken => Err(ReadError::Broken),
                        State::Ended | State::Open(_) => Ok(match want {
                            Want::Piece => Got::Piece(None),
                            Want::Rest => Got::Rest(Bytes::new()),
                        }),
                    };
                    *state = other;
                    return outcome;
                }
            }
        };
        let mut taken = Taken {
            body: self,
            response: Some(response),
        };
        let result = match taken.response.as_mut() {
            Some(response) => io(response, want, self.deadline).await,
            None => return Err(ReadError::Broken),
        };
        // Done: the guard has nothing left to do.
        let response = taken.response.take();
        let keep = {
            let mut state = self.state.borrow_mut();
            let release = matches!(*state, State::Busy { release: true });
            let more = matches!(result, Ok(Got::Piece(Some(_))));
            match response {
                Some(response) if more && !release => {
                    *state = State::Open(response);
                    None
                }
                other => {
                    *state = State::Ended;
                    other
                }
            }
        };
        // Dropped outside the cell's borrow: dropping records the request.
        if let (Some(mut response), Err(error)) = (keep, &result) {
            response.fail(error);
        }
        result.map_err(ReadError::Http)
    }

    /// Drops the response (its connection is closed; its request recorded with what was read),
    /// or has the read in progress drop it.
    pub(crate) fn release(&self) {
        let dropped = {
            let mut state = self.state.borrow_mut();
            match &mut *state {
                State::Busy { release } => {
                    *release = true;
                    None
                }
                other => Some(std::mem::replace(other, State::Ended)),
            }
        };
        drop(dropped);
    }

    /// What of the body was read already and is not handed out yet (no I/O).
    pub(crate) fn buffered(&self) -> Bytes {
        let mut state = self.state.borrow_mut();
        if let State::Open(response) = &mut *state {
            if !response.body().is_empty() {
                // A buffered piece is handed out without waiting.
                if let Some(Ok(Some(piece))) = response.chunk().now_or_never() {
                    return piece;
                }
            }
        }
        Bytes::new()
    }
}

/// The response while a read holds it; a read dropped half-way (cancelled) leaves the body
/// broken, and the response is dropped with it.
struct Taken<'a> {
    body: &'a Body,
    response: Option<molotov::Response>,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.response.is_some() {
            *self.body.state.borrow_mut() = State::Broken;
        }
    }
}

async fn io(
    response: &mut molotov::Response,
    want: Want,
    deadline: Option<Instant>,
) -> Result<Got, Error> {
    let work = async {
        match want {
            Want::Piece => response.chunk().await.map(Got::Piece),
            Want::Rest => {
                response.finish().await?;
                Ok(Got::Rest(response.body().clone()))
            }
        }
    };
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| {
                Err(Error::new(Kind::Timeout).with_context(
                    "reading the response body took longer than the request's timeout".to_owned(),
                ))
            }),
        None => work.await,
    }
}

/// What the script does with what a read gets.
pub(crate) enum Then {
    /// `resp.content`: the next piece (`b""` at the end).
    Piece,
    /// `resp.content.read()`: everything left.
    Take,
    /// `resp.read()`.
    Bytes,
    /// `resp.text(encoding)`.
    Text { encoding: Option<String> },
    /// `resp.json(encoding, loads)`.
    Json {
        encoding: Option<String>,
        loads: Option<Py<PyAny>>,
    },
}

/// A read of a response's body, as a [`Job`](crate::awaitable::Job).
pub(crate) struct Read {
    pub(crate) response: Py<PyResponse>,
    pub(crate) body: Rc<Body>,
    pub(crate) then: Then,
}

impl Read {
    /// Performs the read (no GIL needed).
    pub(crate) async fn run(&self) -> Result<Got, ReadError> {
        let want = match self.then {
            Then::Piece => Want::Piece,
            _ => Want::Rest,
        };
        self.body.read(want).await
    }
}
