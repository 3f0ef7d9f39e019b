//! Timeouts end a request quickly, as a classified error, and leave the client usable.

use std::time::{Duration, Instant};

use molotov_http::{Client, ClientConfig, Kind};

use crate::support::{client, get, target};

#[tokio::test]
async fn a_request_timeout_ends_a_slow_request() {
    let target = target();
    let client = client();
    let mut req = get(&target.url("/delay/2000"));
    req.timeout = Some(Duration::from_millis(50));
    let started = Instant::now();
    let error = client.send(&req).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(error.kind(), Kind::Timeout);
    assert!(error.is_timeout());
    assert_eq!(error.kind_name(), "timeout");
    // The connection it was using is gone, not pooled half-read.
    assert_eq!(client.idle_connections(), 0);
    let response = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(client.connections_opened(), 2);
}

#[tokio::test]
async fn the_client_timeout_applies_by_default_and_a_request_can_extend_it() {
    let target = target();
    let client = Client::new(ClientConfig {
        timeout: Some(Duration::from_millis(50)),
        ..ClientConfig::default()
    });
    let started = Instant::now();
    let error = client
        .send(&get(&target.url("/delay/2000")))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(error.is_timeout());

    let mut req = get(&target.url("/delay/100"));
    req.timeout = Some(Duration::from_secs(10));
    assert_eq!(client.send(&req).await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_timeout_covers_the_whole_redirect_chain() {
    let target = target();
    let to = "/delay/2000";
    let mut req = get(&target.url(&format!("/redirect?to={to}")));
    req.timeout = Some(Duration::from_millis(100));
    let started = Instant::now();
    let error = client().send(&req).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(error.is_timeout());
}

#[tokio::test]
async fn no_timeout_waits() {
    let target = target();
    let client = Client::new(ClientConfig {
        timeout: None,
        ..ClientConfig::default()
    });
    let response = client.send(&get(&target.url("/delay/100"))).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_dropped_request_leaves_the_client_usable() {
    let target = target();
    let client = client();
    // Warm a connection so the cancelled request takes it from the pool.
    client.send(&get(&target.url("/"))).await.unwrap();
    let slow = get(&target.url("/delay/500"));
    let cancelled = tokio::time::timeout(Duration::from_millis(50), client.send(&slow)).await;
    assert!(cancelled.is_err(), "the request should still be in flight");
    assert_eq!(client.idle_connections(), 0);
    // The half-used connection was dropped; the next request opens a new one and gets its
    // own answer (not the late answer of the cancelled one).
    let response = client.send(&get(&target.url("/echo"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(crate::support::json(&response)["path"], "/echo");
    assert_eq!(client.connections_opened(), 2);
    assert_eq!(client.idle_connections(), 1);
}
