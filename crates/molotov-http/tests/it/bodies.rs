//! Response bodies of every framing and size arrive complete.

use molotov_http::Bytes;

use crate::support::{client, get, target};

/// What `/bytes/{n}` and `/chunked/{n}` send: the alphabet, repeated.
fn pattern(n: usize) -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

#[tokio::test]
async fn a_body_larger_than_the_copy_limit_arrives_complete() {
    let target = target();
    let client = client();
    let response = client
        .send(&get(&target.url("/bytes/100000")))
        .await
        .unwrap();
    assert_eq!(response.headers().get("content-length"), Some("100000"));
    assert_eq!(response.content_type(), Some("application/octet-stream"));
    assert_eq!(response.body().len(), 100_000);
    assert_eq!(response.body(), &Bytes::from(pattern(100_000)));
    // The connection stays in step after a large body.
    let next = client.send(&get(&target.url("/bytes/10"))).await.unwrap();
    assert_eq!(&next.body()[..], b"abcdefghij");
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn a_chunked_body_arrives_complete_and_equal() {
    let target = target();
    let client = client();
    let chunked = client
        .send(&get(&target.url("/chunked/100000")))
        .await
        .unwrap();
    assert_eq!(chunked.headers().get("transfer-encoding"), Some("chunked"));
    assert!(!chunked.headers().contains("content-length"));
    let sized = client
        .send(&get(&target.url("/bytes/100000")))
        .await
        .unwrap();
    assert_eq!(chunked.body().len(), 100_000);
    assert_eq!(chunked.body(), sized.body());
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn bodies_of_every_size_around_the_limits() {
    let target = target();
    let client = client();
    for n in [
        0usize, 1, 8191, 8192, 16_383, 16_384, 16_385, 65_536, 1_000_000,
    ] {
        for path in ["bytes", "chunked"] {
            let response = client
                .send(&get(&target.url(&format!("/{path}/{n}"))))
                .await
                .unwrap();
            assert_eq!(response.body().len(), n, "/{path}/{n}");
            assert_eq!(&response.body()[..], &pattern(n)[..], "/{path}/{n}");
        }
    }
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn bodies_stay_valid_after_later_requests() {
    // Bodies may share the connection's read buffer; later reads must not overwrite them.
    let target = target();
    let client = client();
    let mut kept = Vec::new();
    for n in [10usize, 20_000, 30, 100_000, 5] {
        let response = client
            .send(&get(&target.url(&format!("/bytes/{n}"))))
            .await
            .unwrap();
        kept.push((n, response));
    }
    for (n, response) in kept {
        assert_eq!(&response.body()[..], &pattern(n)[..], "{n}");
        assert!(response.headers().contains("content-type"));
    }
}
