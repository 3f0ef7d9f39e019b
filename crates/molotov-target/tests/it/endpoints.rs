//! Each endpoint's answer, checked byte for byte where clients depend on it.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use crate::support::{Conn, get, request, start};

#[test]
fn root_answers_the_exact_ok_body() {
    let target = start();
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let response = request(&target, method, "/", &[], b"");
        assert_eq!(response.status, 200, "{method}");
        assert_eq!(response.body, br#"{"result": "OK"}"#);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.header("content-length"), Some("16"));
    }
    let head = request(&target, "HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn unknown_paths_are_404() {
    let target = start();
    for path in ["/nope", "/echo/extra", "/delay", "/basic-auth/only-user"] {
        let response = get(&target, path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.body, br#"{"error": "not found"}"#);
    }
}

#[test]
fn delay_waits_then_answers_ok() {
    let target = start();
    let started = Instant::now();
    let response = get(&target, "/delay/60");
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"result": "OK"}));

    let bad = get(&target, "/delay/soon");
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("delay"));
    assert_eq!(get(&target, "/delay/600001").status, 400);
}

#[test]
fn status_answers_the_requested_code() {
    let target = start();
    for code in [200, 201, 301, 404, 418, 500, 503, 599] {
        let response = get(&target, &format!("/status/{code}"));
        assert_eq!(response.status, code);
        assert_eq!(response.json(), json!({"status": code}));
    }
    let no_content = get(&target, "/status/204");
    assert_eq!(no_content.status, 204);
    assert!(no_content.body.is_empty());
    for bad in ["100", "101", "600", "0", "abc"] {
        let response = get(&target, &format!("/status/{bad}"));
        assert_eq!(response.status, 400, "{bad}");
        assert!(response.json()["error"].is_string());
    }
}

#[test]
fn echo_reflects_the_request() {
    let target = start();
    let response = request(
        &target,
        "POST",
        "/echo?a=1&b=two%20words",
        &[
            ("X-Test", "one"),
            ("x-test", "two"),
            ("Content-Type", "text/plain"),
        ],
        b"hello \xff",
    );
    assert_eq!(response.status, 200);
    let echoed = response.json();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["query"], "a=1&b=two%20words");
    assert_eq!(echoed["headers"]["x-test"], "one, two");
    assert_eq!(echoed["headers"]["content-type"], "text/plain");
    assert_eq!(echoed["headers"]["host"], target.addr().to_string());
    assert_eq!(echoed["body"], "hello \u{fffd}");
    assert_eq!(echoed["body_base64"], "aGVsbG8g/w==");

    let plain = get(&target, "/echo").json();
    assert_eq!(plain["method"], "GET");
    assert_eq!(plain["query"], "");
    assert_eq!(plain["body"], "");
}

#[test]
fn redirect_chains_down_to_root() {
    let target = start();
    let first = get(&target, "/redirect/2");
    assert_eq!(first.status, 302);
    assert_eq!(first.header("location"), Some("/redirect/1"));
    let last = get(&target, "/redirect/1");
    assert_eq!(last.status, 302);
    assert_eq!(last.header("location"), Some("/"));
    assert_eq!(get(&target, "/redirect/0").status, 200);
    assert_eq!(get(&target, "/redirect/x").status, 400);
}

#[test]
fn redirect_to_any_url_with_any_3xx() {
    let target = start();
    let default = get(&target, "/redirect?to=%2Fecho%3Fa%3D1");
    assert_eq!(default.status, 302);
    assert_eq!(default.header("location"), Some("/echo?a=1"));
    let temporary = get(
        &target,
        "/redirect?to=http%3A%2F%2F127.0.0.1%2Fx&status=307",
    );
    assert_eq!(temporary.status, 307);
    assert_eq!(temporary.header("location"), Some("http://127.0.0.1/x"));
    assert_eq!(get(&target, "/redirect").status, 400);
    assert_eq!(get(&target, "/redirect?to=/&status=200").status, 400);
    assert_eq!(get(&target, "/redirect?to=/&status=abc").status, 400);
}

#[test]
fn cookies_are_set_and_read_back() {
    let target = start();
    let set = get(&target, "/cookies/set?a=1&b=2");
    assert_eq!(set.status, 200);
    assert_eq!(set.json(), json!({"result": "OK"}));
    assert_eq!(set.all("set-cookie"), vec!["a=1; Path=/", "b=2; Path=/"]);

    let read = request(&target, "GET", "/cookies", &[("Cookie", "a=1; b=2")], b"");
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), json!({"a": "1", "b": "2"}));
    assert_eq!(get(&target, "/cookies").json(), json!({}));
}

#[test]
fn basic_auth_accepts_only_matching_credentials() {
    let target = start();
    let good = format!(
        "Basic {}",
        base64::prelude::BASE64_STANDARD.encode("alice:s3cret")
    );
    let ok = request(
        &target,
        "GET",
        "/basic-auth/alice/s3cret",
        &[("Authorization", &good)],
        b"",
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), json!({"authenticated": true, "user": "alice"}));

    let wrong = format!(
        "Basic {}",
        base64::prelude::BASE64_STANDARD.encode("alice:nope")
    );
    for headers in [vec![("Authorization", wrong.as_str())], vec![]] {
        let refused = request(&target, "GET", "/basic-auth/alice/s3cret", &headers, b"");
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.header("www-authenticate"),
            Some(r#"Basic realm="molotov""#)
        );
    }
}

/// What `/bytes/{n}` promises: the alphabet, repeated.
fn pattern(n: usize) -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

#[test]
fn bytes_sends_n_bytes_with_a_length() {
    let target = start();
    let response = get(&target, "/bytes/100");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.header("content-length"), Some("100"));
    assert_eq!(response.body, pattern(100));
    assert_eq!(get(&target, "/bytes/0").body, b"");
    assert_eq!(get(&target, "/bytes/many").status, 400);
}

#[test]
fn chunked_sends_the_same_bytes_in_chunks() {
    let target = start();
    let response = get(&target, "/chunked/100");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.chunks, 4);
    assert_eq!(response.body, pattern(100));
    assert_eq!(response.body, get(&target, "/bytes/100").body);
}

#[test]
fn close_answers_then_closes_the_connection() {
    let target = start();
    let mut conn = Conn::open(target.addr());
    let response = conn.get("/close");
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"result": "OK"}));
    assert_eq!(response.header("connection"), Some("close"));
    assert!(conn.at_eof());
}
