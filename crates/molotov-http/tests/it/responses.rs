//! What the client hands back: status, reason, headers, body, URL, version.

use molotov_http::{StatusCode, Version};

use crate::support::{RawServer, client, get, json, target};

#[tokio::test]
async fn status_reason_body_text_and_url() {
    let target = target();
    let client = client();
    let url = target.url("/status/418");
    let response = client.send(&get(&url)).await.unwrap();
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(response.reason(), "I'm a teapot");
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.url().as_str(), url);
    assert_eq!(response.text(), r#"{"status": 418}"#);
    assert_eq!(&response.body()[..], br#"{"status": 418}"#);
    assert!(response.history().is_empty());

    let ok = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.reason(), "OK");
    assert_eq!(json(&ok)["result"], "OK");
}

#[tokio::test]
async fn error_statuses_are_responses_not_errors() {
    let target = target();
    let client = client();
    for code in [400u16, 404, 500, 503] {
        let response = client
            .send(&get(&target.url(&format!("/status/{code}"))))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), code);
    }
    let empty = client.send(&get(&target.url("/status/204"))).await.unwrap();
    assert_eq!(empty.status(), StatusCode::NO_CONTENT);
    assert!(empty.body().is_empty());
    // Still one connection: every one of them was kept alive.
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn headers_are_looked_up_case_insensitively() {
    let target = target();
    let response = client()
        .send(&get(&target.url("/cookies/set?a=1&b=2")))
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers.get("Content-Type"), Some("application/json"));
    assert_eq!(headers.get("CONTENT-TYPE"), headers.get("content-type"));
    assert_eq!(
        headers.get_bytes("content-type"),
        Some(&b"application/json"[..])
    );
    assert!(headers.contains("content-length"));
    assert!(!headers.contains("x-nope"));
    assert_eq!(headers.get("x-nope"), None);
    let cookies: Vec<&[u8]> = headers.get_all_bytes("Set-Cookie").collect();
    assert_eq!(cookies, [&b"a=1; Path=/"[..], &b"b=2; Path=/"[..]]);
    let names: Vec<String> = headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    assert_eq!(names.len(), headers.len());
    assert!(!headers.is_empty());
    assert!(names.contains(&"content-type".to_owned()));
    assert_eq!(names.iter().filter(|n| *n == "set-cookie").count(), 2);
    assert_eq!(response.content_type(), Some("application/json"));
}

#[tokio::test]
async fn headers_keep_the_server_spelling_and_content_type_drops_parameters() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 Fine Thanks\r\nX-Custom-Header: v1\r\nx-custom-header: v2\r\n\
          Content-Type: text/plain; charset=utf-8\r\nX-Empty:\r\nContent-Length: 2\r\n\r\nhi",
    ]])
    .await;
    let response = client().send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.reason(), "Fine Thanks");
    let pairs: Vec<(&str, &[u8])> = response.headers().iter().collect();
    assert_eq!(pairs[0], ("X-Custom-Header", &b"v1"[..]));
    assert_eq!(pairs[1], ("x-custom-header", &b"v2"[..]));
    assert_eq!(response.headers().get("X-CUSTOM-HEADER"), Some("v1"));
    assert_eq!(
        response.headers().get_all_bytes("x-custom-header").count(),
        2
    );
    assert_eq!(response.headers().get("x-empty"), Some(""));
    assert_eq!(response.content_type(), Some("text/plain"));
    assert_eq!(response.text(), "hi");
}

#[tokio::test]
async fn a_status_line_without_a_reason_gets_the_canonical_one() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 404\r\nContent-Length: 2\r\n\r\nno",
        b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 2\r\n\r\nok",
    ]])
    .await;
    let client = client();
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.reason(), "Not Found");
    assert_eq!(response.text(), "no");
    // A reason that is not ASCII is not trusted either.
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.reason(), "OK");
    assert_eq!(response.text(), "ok");
}

#[tokio::test]
async fn informational_responses_are_skipped() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone",
    ]])
    .await;
    let response = client().send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.text(), "done");
}

#[tokio::test]
async fn a_body_without_length_runs_until_close_and_is_not_kept() {
    let server = RawServer::start(vec![
        vec![b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"],
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain"],
    ])
    .await;
    let client = client();
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_10);
    assert_eq!(response.text(), "until the end");
    assert_eq!(client.idle_connections(), 0);
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.text(), "again");
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn chunked_bodies_with_extensions_and_trailers_keep_the_connection_in_step() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext",
    ]])
    .await;
    let client = client();
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.text(), "Wikipedia");
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.text(), "next");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn take_body_hands_the_body_over() {
    let target = target();
    let mut response = client().send(&get(&target.url("/bytes/10"))).await.unwrap();
    let body = response.take_body();
    assert_eq!(&body[..], b"abcdefghij");
    assert!(response.body().is_empty());
}
