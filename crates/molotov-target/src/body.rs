//! The one response body type every endpoint answers with.
//!
//! A hand-rolled [`Body`] rather than a boxed one: the hot path `/` then costs no allocation
//! (a static [`Bytes`] is just a pointer), and `/chunked` can hide its length from hyper so
//! that HTTP/1.1 really uses `Transfer-Encoding: chunked`.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// How many frames `/chunked` splits its payload into.
const CHUNKS: usize = 4;

/// A response body: a single buffer with a known length, or a buffer sent in several frames
/// without announcing its length.
#[derive(Debug)]
pub(crate) enum TargetBody {
    /// Sent as one frame, with `Content-Length`.
    Full(Option<Bytes>),
    /// Sent as up to [`CHUNKS`] frames of `chunk` bytes, length unknown to hyper.
    Chunked { rest: Bytes, chunk: usize },
}

impl TargetBody {
    /// A body from a static buffer: no allocation.
    pub(crate) fn from_static(bytes: &'static [u8]) -> Self {
        Self::Full(Some(Bytes::from_static(bytes)))
    }

    /// A body with no bytes.
    pub(crate) fn empty() -> Self {
        Self::Full(None)
    }

    /// A body from owned bytes.
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }

    /// `bytes` streamed in several frames, so HTTP/1.1 sends it chunked.
    pub(crate) fn chunked(bytes: impl Into<Bytes>) -> Self {
        let rest = bytes.into();
        let chunk = rest.len().div_ceil(CHUNKS).max(1);
        Self::Chunked { rest, chunk }
    }
}

impl Body for TargetBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = match self.get_mut() {
            Self::Full(bytes) => bytes.take().filter(|b| !b.is_empty()),
            Self::Chunked { rest, chunk } => {
                if rest.is_empty() {
                    None
                } else {
                    let len = (*chunk).min(rest.len());
                    Some(rest.split_to(len))
                }
            }
        };
        Poll::Ready(frame.map(|data| Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            // Never "ended" up front: an ended body would make hyper send `Content-Length: 0`.
            Self::Chunked { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Chunked { .. } => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TargetBody;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn chunked_body_yields_several_frames_of_the_payload() {
        let payload: Vec<u8> = (0..10u8).collect();
        let mut body = TargetBody::chunked(payload.clone());
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.unwrap().into_data() else {
                panic!("trailers in a chunked body")
            };
            frames.push(data);
        }
        assert_eq!(frames.len(), 4);
        assert_eq!(frames.concat(), payload);
    }

    #[tokio::test]
    async fn full_body_is_one_frame_with_exact_size() {
        use hyper::body::Body;
        let body = TargetBody::from_static(b"abc");
        assert_eq!(body.size_hint().exact(), Some(3));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(&collected[..], b"abc");
        assert!(TargetBody::empty().is_end_stream());
    }
}
