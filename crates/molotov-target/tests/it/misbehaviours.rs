//! The raw misbehaviours: broken HTTP on purpose, and a server that survives them.

use crate::support::{Conn, get, start};

const REQUEST_END: &str = " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Sends `GET path` and returns every byte until the server closes.
fn raw_exchange(conn: &mut Conn, path: &str) -> Vec<u8> {
    conn.send(format!("GET {path}{REQUEST_END}").as_bytes());
    conn.read_to_end()
}

#[test]
fn malformed_has_a_non_numeric_length() {
    let target = start();
    let bytes = raw_exchange(&mut Conn::open(target.addr()), "/malformed");
    assert_eq!(
        bytes,
        b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nxx"
    );
}

#[test]
fn truncated_ends_short_of_its_length() {
    let target = start();
    let bytes = raw_exchange(&mut Conn::open(target.addr()), "/truncated?x=1");
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(head.contains("Content-Length: 100"));
    assert_eq!(body.len(), 10);
}

#[test]
fn drop_closes_without_answering() {
    let target = start();
    assert_eq!(raw_exchange(&mut Conn::open(target.addr()), "/drop"), b"");
    // With a body, which is read first so the close is clean, not a reset.
    let mut conn = Conn::open(target.addr());
    conn.send(b"POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(conn.read_to_end(), b"");
}

#[test]
fn garbage_is_not_http() {
    let target = start();
    let bytes = raw_exchange(&mut Conn::open(target.addr()), "/garbage");
    assert_eq!(bytes, b"this is not http\r\n\r\n");
}

#[test]
fn a_request_line_split_across_writes_is_still_recognised() {
    let target = start();
    let mut conn = Conn::open(target.addr());
    conn.send(b"GET /dr");
    conn.send(format!("op{REQUEST_END}").as_bytes());
    assert_eq!(conn.read_to_end(), b"");
    assert_eq!(target.requests_to("/drop"), 1);
}

#[test]
fn misbehaviours_are_counted_and_the_server_keeps_serving() {
    let target = start();
    for path in ["/malformed", "/truncated", "/drop", "/garbage"] {
        raw_exchange(&mut Conn::open(target.addr()), path);
        assert_eq!(target.requests_to(path), 1, "{path}");
    }
    // Clients that hang up at once or send nonsense must not stop the accept loop either.
    drop(Conn::open(target.addr()));
    let mut nonsense = Conn::open(target.addr());
    nonsense.send(b"\x00\x01\x02 not a request\r\n\r\n");
    let _ = nonsense.read_response(false);
    assert_eq!(get(&target, "/").status, 200);
    assert_eq!(target.requests(), 5);
    assert_eq!(target.connections(), 7);
}

#[test]
fn paths_that_only_start_like_a_misbehaviour_are_normal() {
    let target = start();
    assert_eq!(get(&target, "/dropped").status, 404);
    assert_eq!(get(&target, "/garbage/x").status, 404);
}

#[test]
fn stall_body_sends_an_eighth_of_its_length_then_nothing() {
    use std::io::{ErrorKind, Read, Write};
    use std::time::Duration;

    let target = start();
    let mut stream = std::net::TcpStream::connect(target.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("GET /stall-body{REQUEST_END}").as_bytes())
        .unwrap();
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n";
    let mut received = vec![0; head.len() + 128 * 1024];
    stream.read_exact(&mut received).unwrap();
    assert_eq!(&received[..head.len()], head);
    let pattern = b"abcdefghijklmnopqrstuvwxyz".iter().cycle();
    assert!(received[head.len()..].iter().eq(pattern.take(128 * 1024)));
    // Then silence, the connection open.
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let error = stream.read(&mut [0; 16]).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{error}"
    );
    assert_eq!(target.requests_to("/stall-body"), 1);
}
