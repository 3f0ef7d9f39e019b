//! Connections answered by hand with broken HTTP, for clients' error-handling tests.
//!
//! hyper will not produce a bad response, so the decision is taken before hyper sees the
//! connection: the accept loop peeks at the first request line (without consuming it), and a
//! connection whose first request asks for a misbehaviour (see `hostile`) is served here,
//! request after request, until the misbehaviour ends it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};

use crate::counters::Counters;
use crate::hostile::{After, Misbehaviour, OK};

/// How long a partial first line may take to become decidable before hyper gets it anyway.
const PEEK_PATIENCE: Duration = Duration::from_secs(2);
/// How long a misbehaving connection may take to send its request.
const READ_PATIENCE: Duration = Duration::from_secs(10);
/// Longest request head read; more is not a test client.
const MAX_HEAD: usize = 64 * 1024;
/// Longest request body drained, so closing does not reset the connection under the reply.
const MAX_DRAIN: usize = 1024 * 1024;
/// Enough for the longest method worth waiting for and the longest raw path.
const PEEK_LEN: usize = 64;

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peeked {
    /// A request for a misbehaviour.
    Raw(Misbehaviour),
    /// Anything else: hyper's business.
    Normal,
    /// Too short to tell yet.
    NeedMore,
}

/// Classifies the start of a connection's first request line.
pub(crate) fn classify(prefix: &[u8]) -> Peeked {
    let line_end = prefix.iter().position(|&b| b == b'\n');
    let line = &prefix[..line_end.unwrap_or(prefix.len())];
    let complete = line_end.is_some();
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        // Still inside the method: worth waiting only while it looks like one.
        let method_so_far = line.len() < 16 && line.iter().all(u8::is_ascii_alphabetic);
        return if !complete && method_so_far {
            Peeked::NeedMore
        } else {
            Peeked::Normal
        };
    };
    if space == 0 || !line[..space].iter().all(u8::is_ascii_alphabetic) {
        return Peeked::Normal;
    }
    let target = &line[space + 1..];
    match target
        .iter()
        .position(|&b| matches!(b, b' ' | b'?' | b'\r'))
    {
        Some(end) => Misbehaviour::for_path(&target[..end]).map_or(Peeked::Normal, Peeked::Raw),
        None if complete => Misbehaviour::for_path(target).map_or(Peeked::Normal, Peeked::Raw),
        None if Misbehaviour::ALL
            .iter()
            .any(|m| m.path().as_bytes().starts_with(target)) =>
        {
            Peeked::NeedMore
        }
        None => Peeked::Normal,
    }
}

/// Peeks at a new plaintext connection: `Some` when it asks for a misbehaviour.
///
/// Waits for the first bytes as long as hyper would; a first line split across packets is
/// re-peeked with a short backoff, because a peek does not wait for *more* data.
pub(crate) async fn detect(stream: &TcpStream) -> Option<Misbehaviour> {
    let mut buf = [0u8; PEEK_LEN];
    let mut backoff = Duration::from_millis(1);
    let mut deadline = None;
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        match classify(&buf[..n]) {
            Peeked::Raw(kind) => return Some(kind),
            Peeked::Normal => return None,
            Peeked::NeedMore => {
                let deadline = *deadline.get_or_insert_with(|| Instant::now() + PEEK_PATIENCE);
                if n == buf.len() || Instant::now() >= deadline {
                    return None;
                }
                sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(50));
            }
        }
    }
}

/// Where the request head ends (just past the blank line), if it has.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The path of a request head's target, without its query.
fn path_of(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let target = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    String::from_utf8_lossy(path).into_owned()
}

/// The request's `Content-Length`, 0 when absent or unreadable.
fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

/// Reads the next request (its head and body) from `buf` and the stream; its path, or `None`
/// when the connection ends first. What follows it stays in `buf`.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = head_end(buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let path = path_of(&buf[..end]);
    let length = content_length(&buf[..end]).min(MAX_DRAIN);
    // Drained, so that closing sends a FIN, not a reset that could overtake the reply.
    while buf.len() < end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..(end + length).min(buf.len()));
    Ok(Some(path))
}

/// Serves a connection whose first request asks for a misbehaviour: each request is counted;
/// misbehaviours act, any other path gets a plain `200 ok`, until a misbehaviour ends the
/// connection or the client does.
pub(crate) async fn misbehave(mut stream: TcpStream, counters: &Counters) {
    let mut buf = Vec::new();
    loop {
        // A client that never finishes its request still gets the reply: that is the point.
        let path = match timeout(READ_PATIENCE, read_request(&mut stream, &mut buf)).await {
            Ok(Ok(Some(path))) => path,
            Ok(Ok(None) | Err(_)) => return,
            Err(_) => String::new(),
        };
        counters.count(if path.is_empty() { "/" } else { &path });
        let after = match Misbehaviour::for_path(path.as_bytes()) {
            Some(kind) => kind.act(&mut stream).await,
            None => stream.write_all(OK).await.map(|()| After::KeepOpen),
        };
        match after {
            Ok(After::KeepOpen) => {}
            Ok(After::Close) | Err(_) => {
                let _ = stream.shutdown().await;
                return;
            }
            Ok(After::Reset) => {
                #[allow(
                    deprecated,
                    reason = "a linger of zero resets the connection at once; it does not block"
                )]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            Ok(After::Hang) => {
                // Silent until the client goes.
                let mut sink = [0u8; 4096];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Misbehaviour, Peeked, classify, content_length, head_end, path_of};

    #[test]
    fn finds_misbehaviours_in_first_lines() {
        let cases: [(&[u8], Peeked); 8] = [
            (b"GET /drop HTTP/1.1\r\n", Peeked::Raw(Misbehaviour::Drop)),
            (
                b"POST /garbage?x=1 HTTP/1.1",
                Peeked::Raw(Misbehaviour::Garbage),
            ),
            (b"GET /malformed ", Peeked::Raw(Misbehaviour::Malformed)),
            (b"GET /truncated\r\n", Peeked::Raw(Misbehaviour::Truncated)),
            (b"GET /dropped HTTP/1.1\r\n", Peeked::Normal),
            (b"GET / HTTP/1.1\r\n", Peeked::Normal),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Peeked::Normal),
            (b"\x16\x03\x01\x02\x00", Peeked::Normal),
        ];
        for (prefix, want) in cases {
            assert_eq!(
                classify(prefix),
                want,
                "{}",
                String::from_utf8_lossy(prefix)
            );
        }
    }

    #[test]
    fn waits_for_more_only_while_undecidable() {
        assert_eq!(classify(b"GE"), Peeked::NeedMore);
        assert_eq!(classify(b"GET "), Peeked::NeedMore);
        assert_eq!(classify(b"GET /dr"), Peeked::NeedMore);
        assert_eq!(classify(b"GET /drop"), Peeked::NeedMore);
        assert_eq!(
            classify(b"GET /e"),
            Peeked::NeedMore,
            "/extra-response, /endless-..."
        );
        assert_eq!(classify(b"GET /ec"), Peeked::Normal);
        assert_eq!(classify(b"GET /echo"), Peeked::Normal);
    }

    #[test]
    fn reads_the_head_and_its_content_length() {
        let request = b"POST /drop HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello";
        let end = head_end(request).unwrap();
        assert_eq!(&request[end..], b"hello");
        assert_eq!(content_length(&request[..end]), 5);
        assert_eq!(content_length(b"GET / HTTP/1.1\r\n\r\n"), 0);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(
            path_of(b"GET /late-bytes?x=1 HTTP/1.1\r\n\r\n"),
            "/late-bytes"
        );
    }
}
