use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

fn started() -> LivePage {
    let mut page = LivePage::bind(
        "127.0.0.1:0".parse().unwrap(),
        &json!({"live": true, "n": 0}),
    )
    .unwrap();
    page.serve().unwrap();
    page
}

/// Sends `request` as is; the whole response.
fn exchange(page: &LivePage, request: &str) -> String {
    let mut stream = TcpStream::connect(page.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

fn get(page: &LivePage, path: &str) -> String {
    exchange(
        page,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    )
}

#[test]
fn the_page_and_its_data() {
    let page = started();
    let html = get(&page, "/");
    assert!(html.starts_with("HTTP/1.1 200 OK\r\n"), "{html}");
    assert!(
        html.contains("text/html") && html.contains("molotov-data"),
        "{html}"
    );
    assert!(get(&page, "/data.json").ends_with(r#"{"live":true,"n":0}"#));
    page.publisher().publish(&json!({"live": true, "n": 1}));
    let data = get(&page, "/data.json?t=5");
    assert!(data.ends_with(r#"{"live":true,"n":1}"#), "{data}");
    assert!(data.contains("Cache-Control: no-store"), "{data}");
    let head = exchange(
        &page,
        "HEAD /data.json HTTP/1.1\r\nHost: localhost:9\r\n\r\n",
    );
    assert!(
        head.starts_with("HTTP/1.1 200 OK") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
}

#[test]
fn what_it_refuses() {
    let page = started();
    for (request, status) in [
        ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "405"),
        ("GET /etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "404"),
        ("NOT HTTP\r\n\r\n", "400"),
        ("GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n", "421"),
    ] {
        let response = exchange(&page, request);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "{request:?}: {response}"
        );
    }
    let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(10_000));
    assert!(exchange(&page, &huge).starts_with("HTTP/1.1 431"));
    assert!(get(&page, "/").starts_with("HTTP/1.1 200"), "still serving");
}

#[test]
fn a_slow_client_does_not_hold_the_others() {
    let page = started();
    let mut slow = TcpStream::connect(page.address()).unwrap();
    slow.write_all(b"GET / HT").unwrap();
    let start = Instant::now();
    assert!(get(&page, "/data.json").starts_with("HTTP/1.1 200"));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    drop(slow);
}

#[test]
fn finishing_waits_for_a_watching_page_to_fetch_the_final_data() {
    let page = started();
    assert!(!page.publisher().is_watched());
    get(&page, "/data.json");
    assert!(page.publisher().is_watched());
    let address = page.address();
    let fetcher = std::thread::spawn(move || {
        super::pause(Duration::from_millis(300));
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /data.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    });
    let start = Instant::now();
    page.finish(&json!({"live": false}));
    let waited = start.elapsed();
    let response = fetcher.join().unwrap();
    assert!(response.ends_with(r#"{"live":false}"#), "{response}");
    assert!(
        waited >= Duration::from_millis(250) && waited < LINGER,
        "{waited:?}"
    );
}

#[test]
fn finishing_unwatched_does_not_wait() {
    let page = started();
    let start = Instant::now();
    page.finish(&json!({"live": false}));
    assert!(start.elapsed() < Duration::from_secs(1));
}
