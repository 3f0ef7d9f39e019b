//! Every failure is a classified error, never a panic or a hang.

use molotov_http::Kind;

use crate::support::{RawServer, client, closed_port, get, target};

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let port = closed_port();
    let client = client();
    let error = client
        .send(&get(&format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::Connect);
    assert!(error.is_connect());
    assert!(error.to_string().contains(&port.to_string()), "{error}");
    assert_eq!(client.connections_opened(), 0);
}

#[tokio::test]
async fn a_bad_content_length_is_a_protocol_error() {
    let target = target();
    let error = client()
        .send(&get(&target.url("/malformed")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::Protocol);
    assert_eq!(target.requests_to("/malformed"), 1);
}

#[tokio::test]
async fn garbage_is_a_protocol_error() {
    let target = target();
    let error = client()
        .send(&get(&target.url("/garbage")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::Protocol);
    assert_eq!(error.kind_name(), "protocol");
}

#[tokio::test]
async fn a_truncated_body_is_a_closed_error() {
    let target = target();
    let error = client()
        .send(&get(&target.url("/truncated")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::Closed);
    assert!(error.is_closed());
}

#[tokio::test]
async fn a_dropped_connection_is_a_closed_error() {
    let target = target();
    let error = client().send(&get(&target.url("/drop"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Closed);
    // A fresh connection that fails is not retried.
    assert_eq!(target.connections(), 1);
}

#[tokio::test]
async fn the_client_recovers_after_each_failure() {
    let target = target();
    let client = client();
    client.send(&get(&target.url("/"))).await.unwrap();
    for path in ["/malformed", "/garbage", "/truncated", "/drop"] {
        // The misbehaviours answer on a new connection's first request only.
        client.close();
        assert!(
            client.send(&get(&target.url(path))).await.is_err(),
            "{path}"
        );
        assert_eq!(client.idle_connections(), 0, "{path}");
        let response = client.send(&get(&target.url("/"))).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_scheme_is_a_url_error() {
    let error = client()
        .send(&get("ftp://127.0.0.1/file"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::Url);
    assert_eq!(error.kind_name(), "url");
}

#[tokio::test]
async fn an_unresolvable_host_is_a_connect_class_error() {
    let error = client()
        .send(&get("http://nonexistent.invalid/"))
        .await
        .unwrap_err();
    // Dns where a resolver answers; the sandbox may have none, which still classifies here.
    assert!(error.is_connect(), "{error:?}");
}

#[tokio::test]
async fn an_absurd_content_length_is_an_error_not_a_panic() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nxx",
    ]])
    .await;
    let error = client().send(&get(&server.url("/"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::TooLarge, "{error:?}");
}

#[tokio::test]
async fn an_absurd_chunk_size_is_an_error_not_a_panic() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nxx",
    ]])
    .await;
    let error = client().send(&get(&server.url("/"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::TooLarge, "{error:?}");
}

#[tokio::test]
async fn a_truncated_chunked_body_is_a_closed_error() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ]])
    .await;
    let error = client().send(&get(&server.url("/"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Closed, "{error:?}");
}

#[tokio::test]
async fn a_bad_chunk_is_a_protocol_error() {
    let server = RawServer::start(vec![vec![
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
    ]])
    .await;
    let error = client().send(&get(&server.url("/"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Protocol, "{error:?}");
}
