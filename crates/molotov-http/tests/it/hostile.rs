//! A hostile server never corrupts what the client reports: every response is the one its
//! request caused, a connection is reused only when its framing is certain, every limit holds
//! with bounded memory, and a request the server may have acted on is never sent twice. The
//! server is the bundled target's misbehaviours (`molotov_target`'s `hostile` module).

use std::time::Duration;

use molotov_http::{Client, ClientConfig, Kind, Method};

use crate::support::{RawServer, client, get, request, target};

const KEEP_ALIVE_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// The misbehaviour at `path`, then `GET /` on the same client: `/` must get its own `200`.
async fn then_a_plain_request(path: &str) {
    let target = target();
    let client = client();
    let first = client.send(&get(&target.url(path))).await.unwrap();
    assert_eq!(first.status(), 200, "{path}");
    assert_eq!(first.text(), "ok", "{path}");
    for _ in 0..3 {
        let next = client.send(&get(&target.url("/"))).await.unwrap();
        assert_eq!(
            next.status(),
            200,
            "{path}: a response meant for no request was read"
        );
    }
    assert_eq!(target.requests_to(path), 1);
    assert_eq!(target.requests_to("/"), 3);
    assert_eq!(
        client.connections_opened(),
        2,
        "{path}: the connection with bytes left over is not reused"
    );
}

#[tokio::test]
async fn an_extra_response_in_the_same_write_is_not_read_as_the_next_one() {
    then_a_plain_request("/extra-response").await;
}

#[tokio::test]
async fn a_body_longer_than_its_length_is_not_read_as_the_next_response() {
    then_a_plain_request("/long-body").await;
}

#[tokio::test]
async fn bytes_arriving_on_an_idle_connection_retire_it() {
    let target = target();
    let client = client();
    let first = client.send(&get(&target.url("/late-bytes"))).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        client.idle_connections(),
        1,
        "clean when it went back to the pool"
    );
    // The unsolicited response arrives while the connection is idle.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let next = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(
        next.status(),
        200,
        "the late bytes were read as the response"
    );
    assert_eq!(next.retries(), 0);
    assert_eq!(client.connections_opened(), 2);
    assert_eq!(target.requests(), 2);
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced_before_sending() {
    let target = target();
    let client = client();
    client
        .send(&get(&target.url("/close-after")))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A POST would not be sent again: the closed connection must be seen before sending.
    let mut post = request(Method::POST, &target.url("/echo"));
    post.body = molotov_http::Bytes::from_static(b"once");
    let response = client.send(&post).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.retries(), 0);
    assert_eq!(target.requests_to("/echo"), 1);
}

#[tokio::test]
async fn a_post_on_a_stale_connection_is_not_sent_again() {
    // The second request on the first connection is read, then the connection closes with no
    // answer: the server may have acted on it.
    let server = RawServer::start(vec![vec![KEEP_ALIVE_OK, b""], vec![KEEP_ALIVE_OK]]).await;
    let client = client();
    client.send(&get(&server.url("/"))).await.unwrap();
    let mut post = request(Method::POST, &server.url("/"));
    post.body = molotov_http::Bytes::from_static(b"payload");
    let error = client.send(&post).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Closed, "{error:?}");
    assert_eq!(error.retries(), 0);
    assert_eq!(
        server.requests(),
        2,
        "the POST was received once, and not sent again"
    );
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_get_on_a_stale_connection_is_sent_again_once_and_counted() {
    let server = RawServer::start(vec![vec![KEEP_ALIVE_OK, b""], vec![KEEP_ALIVE_OK]]).await;
    let client = client();
    client.send(&get(&server.url("/"))).await.unwrap();
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.text(), "ok");
    assert_eq!(response.retries(), 1);
    assert_eq!(server.requests(), 3);
    assert_eq!(server.connections(), 2);
}

/// Sends `GET path` with a client of `config`; the error, which must come within seconds.
async fn fails(path: &str, config: ClientConfig) -> molotov_http::Error {
    let target = target();
    let client = Client::new(config);
    let req = get(&target.url(path));
    let error = tokio::time::timeout(Duration::from_secs(20), client.send(&req))
        .await
        .unwrap_or_else(|_| panic!("{path}: no answer in 20 s"))
        .unwrap_err();
    assert_eq!(target.requests_to(path), 1);
    assert_eq!(
        client.idle_connections(),
        0,
        "{path}: a failed connection is not reused"
    );
    error
}

#[tokio::test]
async fn every_limit_is_its_own_failure_with_bounded_memory() {
    let small = ClientConfig {
        max_body: 1 << 20,
        ..ClientConfig::default()
    };
    for path in [
        "/huge-length",
        "/huge-chunk",
        "/endless-chunk-line",
        "/endless-trailers",
        "/big-head",
    ] {
        let error = fails(path, ClientConfig::default()).await;
        assert_eq!(error.kind(), Kind::TooLarge, "{path}: {error:?}");
        assert_eq!(error.kind_name(), "too-large");
    }
    let error = fails("/endless-body", small).await;
    assert_eq!(error.kind(), Kind::TooLarge, "{error:?}");
}

#[tokio::test]
async fn broken_framing_is_a_protocol_error() {
    for path in [
        "/te-and-cl",
        "/garbage-status",
        "/bad-chunk",
        "/malformed",
        "/garbage",
    ] {
        let error = fails(path, ClientConfig::default()).await;
        assert_eq!(error.kind(), Kind::Protocol, "{path}: {error:?}");
    }
    for path in ["/reset-head", "/truncated", "/drop"] {
        let error = fails(path, ClientConfig::default()).await;
        assert!(
            matches!(error.kind(), Kind::Closed | Kind::Io),
            "{path}: {error:?}"
        );
    }
    let never = ClientConfig {
        timeout: Some(Duration::from_millis(300)),
        ..ClientConfig::default()
    };
    assert_eq!(fails("/never", never).await.kind(), Kind::Timeout);
}

#[tokio::test]
async fn a_slow_head_is_read_whole() {
    let target = target();
    let response = client()
        .send(&get(&target.url("/slow-head")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_scripts_chunked_body_is_framed_and_other_codings_refused() {
    let target = target();
    let client = client();
    let mut chunked = request(Method::POST, &target.url("/echo"));
    chunked
        .headers
        .insert("transfer-encoding", "chunked".parse().unwrap());
    chunked.body = molotov_http::Bytes::from_static(b"framed by the client");
    let response = client.send(&chunked).await.unwrap();
    let echoed = crate::support::json(&response);
    assert_eq!(echoed["body"], "framed by the client");
    assert_eq!(echoed["headers"]["transfer-encoding"], "chunked");

    let mut gzip = chunked.clone();
    gzip.headers
        .insert("transfer-encoding", "gzip".parse().unwrap());
    let error = client.send(&gzip).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Request);
    let mut wrong_length = request(Method::POST, &target.url("/echo"));
    wrong_length
        .headers
        .insert("content-length", "99".parse().unwrap());
    wrong_length.body = molotov_http::Bytes::from_static(b"short");
    assert_eq!(
        client.send(&wrong_length).await.unwrap_err().kind(),
        Kind::Request
    );
    assert_eq!(
        target.requests_to("/echo"),
        1,
        "refused requests are not sent"
    );
}
