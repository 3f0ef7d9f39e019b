//! Streamed responses: the head and the first part of the body come back at once, the rest is
//! read as the caller asks for it, in pieces, with constant memory; the connection goes back to
//! the pool once the body is complete, and is closed if the response is dropped before.

use molotov_http::Bytes;

use crate::support::{client, get, target};

#[tokio::test]
async fn a_large_body_is_read_in_pieces_and_the_connection_reused() {
    let target = target();
    let client = client();
    let mut response = client
        .send_streamed(&get(&target.url("/bytes/4000000")), 0)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.is_complete());
    let mut total = 0;
    let mut largest = 0;
    let mut pieces = 0;
    while let Some(piece) = response.chunk().await.unwrap() {
        total += piece.len();
        largest = largest.max(piece.len());
        pieces += 1;
    }
    assert_eq!(total, 4_000_000);
    assert!(pieces > 10, "{pieces} pieces");
    assert!(
        largest <= 1 << 20,
        "a piece holds what one read brought: {largest}"
    );
    assert!(response.is_complete());
    assert!(response.received_bytes() > 4_000_000);
    assert_eq!(client.idle_connections(), 1, "back in the pool once read");
    client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn a_small_body_comes_whole_with_the_head() {
    let target = target();
    let client = client();
    let mut response = client
        .send_streamed(&get(&target.url("/bytes/1000")), 64 * 1024)
        .await
        .unwrap();
    assert!(response.is_complete());
    assert_eq!(response.body().len(), 1000);
    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(first.len(), 1000);
    assert_eq!(response.chunk().await.unwrap(), None);
}

#[tokio::test]
async fn finish_reads_the_rest_and_chunked_bodies_stream_too() {
    let target = target();
    let client = client();
    let mut response = client
        .send_streamed(&get(&target.url("/chunked/300000")), 10)
        .await
        .unwrap();
    response.finish().await.unwrap();
    assert_eq!(response.body().len(), 300_000);
    assert_eq!(response.body().slice(..3), Bytes::from_static(b"abc"));
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test]
async fn a_response_dropped_before_its_end_closes_its_connection() {
    let target = target();
    let client = client();
    let response = client
        .send_streamed(&get(&target.url("/bytes/4000000")), 0)
        .await
        .unwrap();
    drop(response);
    assert_eq!(client.idle_connections(), 0);
    client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(client.connections_opened(), 2);
}
