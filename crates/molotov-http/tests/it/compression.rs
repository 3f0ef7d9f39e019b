//! Compressed responses: asked for by default and decompressed as they arrive, or left as the
//! server sent them when decompression is off; the bytes on the wire and decoded are counted.

use molotov_http::{ACCEPT_ENCODING, Client, ClientConfig, Kind};

use crate::support::{client, get, json, target};

/// What `/bytes/{n}` sends: the alphabet, over and over.
fn pattern(n: usize) -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

#[tokio::test]
async fn compressed_bodies_are_asked_for_and_decoded() {
    let target = target();
    let client = client();
    let echoed = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    assert_eq!(echoed["headers"]["accept-encoding"], ACCEPT_ENCODING);
    for path in ["/gzip/100000", "/deflate/100000"] {
        let response = client.send(&get(&target.url(path))).await.unwrap();
        assert_eq!(response.body().len(), 100_000, "{path}");
        assert_eq!(response.body()[..], pattern(100_000)[..], "{path}");
        // The alphabet compresses well: far fewer bytes came over the wire.
        assert!(
            response.received_bytes() < 5_000,
            "{path}: {}",
            response.received_bytes()
        );
        assert!(response.headers().get("content-encoding").is_some());
    }
    let brotli = client.send(&get(&target.url("/brotli"))).await.unwrap();
    assert_eq!(
        brotli.text(),
        "hello, molotov! hello, molotov! hello, molotov!"
    );
    // Connections stay usable after decoded bodies.
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn without_auto_decompress_bodies_are_left_as_sent() {
    let target = target();
    let client = Client::new(ClientConfig {
        auto_decompress: false,
        ..ClientConfig::default()
    });
    let echoed = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    assert!(
        echoed["headers"].get("accept-encoding").is_none(),
        "{echoed}"
    );
    let response = client.send(&get(&target.url("/gzip/1000"))).await.unwrap();
    assert_eq!(
        &response.body()[..2],
        [0x1f, 0x8b],
        "the gzip magic, undecoded"
    );
}

#[tokio::test]
async fn a_decompression_bomb_stops_at_max_body() {
    let target = target();
    let client = Client::new(ClientConfig {
        max_body: 64 * 1024,
        ..ClientConfig::default()
    });
    let error = client
        .send(&get(&target.url("/gzip/1000000")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::TooLarge, "{error:?}");
}
