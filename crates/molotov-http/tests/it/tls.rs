//! HTTPS against the self-signed target.

use molotov_http::{Bytes, Client, ClientConfig, Kind, Method};

use crate::support::{get, json, request, tls_target};

fn unverified() -> Client {
    Client::new(ClientConfig {
        verify_tls: false,
        ..ClientConfig::default()
    })
}

#[tokio::test]
async fn https_without_verification_works_with_keep_alive() {
    let target = tls_target();
    let client = unverified();
    assert!(target.url("/").starts_with("https://"));
    for _ in 0..2 {
        let response = client.send(&get(&target.url("/"))).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text(), r#"{"result": "OK"}"#);
        assert_eq!(response.version(), molotov_http::Version::HTTP_11);
    }
    assert_eq!(target.connections(), 1);
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn a_self_signed_certificate_fails_verification() {
    let target = tls_target();
    let client = Client::new(ClientConfig::default());
    let error = client.send(&get(&target.url("/"))).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Tls);
    assert!(error.is_tls());
    assert_eq!(target.requests(), 0);
}

#[tokio::test]
async fn one_request_can_skip_verification_without_lending_its_connection() {
    let target = tls_target();
    let client = Client::new(ClientConfig::default());
    let mut lenient = get(&target.url("/"));
    lenient.verify_tls = Some(false);
    let response = client.send(&lenient).await.unwrap();
    assert_eq!(response.status(), 200);
    // The next request checks certificates again: it must not reuse the unverified connection.
    let error = client.send(&get(&target.url("/"))).await.unwrap_err();
    assert!(error.is_tls(), "{error}");
    assert_eq!(target.requests(), 1);
    // While another lenient request reuses it.
    client.send(&lenient).await.unwrap();
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn https_bodies_both_ways_and_connection_close() {
    let target = tls_target();
    let client = unverified();
    let mut req = request(Method::POST, &target.url("/echo"));
    req.body = Bytes::from_static(b"secret body");
    let echoed = json(&client.send(&req).await.unwrap());
    assert_eq!(echoed["body"], "secret body");
    let chunked = client
        .send(&get(&target.url("/chunked/100000")))
        .await
        .unwrap();
    assert_eq!(chunked.body().len(), 100_000);
    let closing = client.send(&get(&target.url("/close"))).await.unwrap();
    assert_eq!(closing.status(), 200);
    let next = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(next.status(), 200);
    assert_eq!(target.connections(), 2);
}

#[tokio::test]
async fn a_large_https_upload_is_sent_completely() {
    // Far more than rustls buffers: the tail of the body must be flushed, not left in the
    // TLS session while the client waits for the answer.
    let target = tls_target();
    let client = unverified();
    let body = "x".repeat(8 * 1024 * 1024);
    let mut req = request(Method::POST, &target.url("/echo"));
    req.body = Bytes::from(body.clone());
    req.timeout = Some(std::time::Duration::from_secs(20));
    let echoed = json(&client.send(&req).await.unwrap());
    assert_eq!(echoed["body"].as_str().map(str::len), Some(body.len()));
}

#[tokio::test]
async fn an_http_client_to_an_https_port_fails_cleanly() {
    let target = tls_target();
    let url = target.url("/").replacen("https://", "http://", 1);
    let error = unverified().send(&get(&url)).await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::Protocol | Kind::Closed),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_https_upload_to_a_slow_reader_is_flushed_to_the_last_byte() {
    // The server reads slowly, so the socket is full when the last bytes of the body go into
    // the TLS session: they must still be sent before the client waits for the answer.
    let sink = crate::support::SlowTlsSink::start().await;
    let client = unverified();
    let len = 4 * 1024 * 1024;
    let mut req = request(Method::POST, &sink.url("/upload"));
    req.body = Bytes::from(vec![b'x'; len]);
    req.timeout = Some(std::time::Duration::from_secs(20));
    let response = client.send(&req).await.unwrap();
    assert_eq!(response.text(), len.to_string());
}
