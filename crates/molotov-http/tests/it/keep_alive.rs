//! Connection reuse: sequential requests share one connection, concurrent ones open more, and
//! a connection the server closed is replaced without the caller noticing.

use crate::support::{RawServer, client, get, target};

const KEEP_ALIVE_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

#[tokio::test]
async fn sequential_requests_share_one_connection() {
    let target = target();
    let client = client();
    for _ in 0..20 {
        let response = client.send(&get(&target.url("/"))).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(target.requests(), 20);
    assert_eq!(target.connections(), 1);
    assert_eq!(client.connections_opened(), 1);
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test]
async fn concurrent_requests_open_one_connection_each_and_pool_them() {
    let target = target();
    let client = client();
    let req = get(&target.url("/delay/50"));
    let (a, b, c) = tokio::join!(client.send(&req), client.send(&req), client.send(&req));
    for response in [a, b, c] {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(client.connections_opened(), 3);
    assert_eq!(target.connections(), 3);
    assert_eq!(client.idle_connections(), 3);
    // Later requests reuse the pooled ones.
    let (a, b) = tokio::join!(client.send(&req), client.send(&req));
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(client.connections_opened(), 3);
}

#[tokio::test]
async fn connection_close_is_honoured_and_the_next_request_reconnects() {
    let target = target();
    let client = client();
    let closing = client.send(&get(&target.url("/close"))).await.unwrap();
    assert_eq!(closing.status(), 200);
    assert_eq!(closing.headers().get("connection"), Some("close"));
    assert_eq!(client.idle_connections(), 0);
    let next = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(next.status(), 200);
    assert_eq!(client.connections_opened(), 2);
    assert_eq!(target.connections(), 2);
}

#[tokio::test]
async fn a_stale_pooled_connection_is_retried_once_on_a_new_one() {
    // The first connection answers one request as keep-alive, then closes behind the client's
    // back; the second answers normally.
    let server = RawServer::start(vec![vec![KEEP_ALIVE_OK], vec![KEEP_ALIVE_OK]]).await;
    let client = client();
    let first = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(first.text(), "ok");
    assert_eq!(client.idle_connections(), 1);
    let second = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(second.text(), "ok");
    assert_eq!(server.connections(), 2);
    assert_eq!(server.requests(), 2);
    assert_eq!(client.connections_opened(), 2);
}

#[tokio::test]
async fn a_post_after_the_idle_connection_closed_goes_on_a_new_one() {
    let server = RawServer::start(vec![vec![KEEP_ALIVE_OK], vec![KEEP_ALIVE_OK]]).await;
    let client = client();
    client.send(&get(&server.url("/"))).await.unwrap();
    // The server's close reaches the client while the connection is idle.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut req = crate::support::request(molotov_http::Method::POST, &server.url("/"));
    req.body = molotov_http::Bytes::from_static(b"payload");
    let response = client.send(&req).await.unwrap();
    assert_eq!(response.text(), "ok");
    assert_eq!(
        response.retries(),
        0,
        "seen closed before sending: nothing sent twice"
    );
    // The server read a complete request (its declared length of body) on the new connection.
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_fresh_connection_that_closes_is_not_retried() {
    // A new connection that closes without answering is the server's failure, not staleness.
    let server = RawServer::start(vec![vec![], vec![KEEP_ALIVE_OK]]).await;
    let client = client();
    let error = client.send(&get(&server.url("/"))).await.unwrap_err();
    assert!(error.is_closed(), "{error:?}");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn close_drops_the_idle_connections() {
    let target = target();
    let client = client();
    client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(client.idle_connections(), 1);
    client.close();
    assert_eq!(client.idle_connections(), 0);
    client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(client.connections_opened(), 2);
}

#[tokio::test]
async fn each_origin_has_its_own_connections() {
    let one = target();
    let two = target();
    let client = client();
    for _ in 0..3 {
        client.send(&get(&one.url("/"))).await.unwrap();
        client.send(&get(&two.url("/"))).await.unwrap();
    }
    assert_eq!(one.connections(), 1);
    assert_eq!(two.connections(), 1);
    assert_eq!(client.idle_connections(), 2);
}
