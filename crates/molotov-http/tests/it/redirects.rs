//! Following redirects: chains, opting out, the limit, and the method rules of 301/302/303/307.

use molotov_http::{Bytes, Client, ClientConfig, HeaderValue, Kind, Method, StatusCode};

use crate::support::{client, get, json, request, target};

#[tokio::test]
async fn a_redirect_chain_is_followed_to_the_end() {
    let target = target();
    let response = client()
        .send(&get(&target.url("/redirect/3")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.url().path(), "/");
    assert_eq!(response.url().as_str(), target.url("/"));
    assert_eq!(response.text(), r#"{"result": "OK"}"#);
    let history = response.history();
    // Every answer but the last was a redirect, in order, each to the next URL.
    assert_eq!(history.len() as u64, target.requests() - 1);
    assert!(history.len() >= 3);
    assert_eq!(history[0].url().path(), "/redirect/3");
    assert_eq!(history[1].url().path(), "/redirect/2");
    assert_eq!(history[2].url().path(), "/redirect/1");
    for (hop, next) in history.iter().zip(history.iter().skip(1)) {
        assert_eq!(hop.status(), StatusCode::FOUND);
        assert_eq!(hop.headers().get("location"), Some(next.url().path()));
        assert!(hop.history().is_empty());
    }
    let last = &history[history.len() - 1];
    assert_eq!(last.headers().get("location"), Some("/"));
    assert_eq!(target.connections(), 1);
}

#[tokio::test]
async fn redirects_are_returned_when_not_followed() {
    let target = target();
    let mut req = get(&target.url("/redirect/3"));
    req.follow_redirects = Some(false);
    let response = client().send(&req).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers().get("location"), Some("/redirect/2"));
    assert!(response.history().is_empty());
    assert_eq!(target.requests(), 1);

    // The client-wide setting, and a request overriding it.
    let client = Client::new(ClientConfig {
        follow_redirects: false,
        ..ClientConfig::default()
    });
    let response = client.send(&get(&target.url("/redirect/1"))).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let mut req = get(&target.url("/redirect/1"));
    req.follow_redirects = Some(true);
    let response = client.send(&req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn more_redirects_than_the_limit_is_an_error() {
    let target = target();
    let url = target.url("/redirect/3");
    let hops = client().send(&get(&url)).await.unwrap().history().len();
    let limited = |max_redirects| {
        Client::new(ClientConfig {
            max_redirects,
            ..ClientConfig::default()
        })
    };
    let error = limited(hops - 1).send(&get(&url)).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Redirects);
    assert_eq!(error.kind_name(), "redirects");
    // Exactly the limit is fine.
    let response = limited(hops).send(&get(&url)).await.unwrap();
    assert_eq!(response.history().len(), hops);
    // No redirect at all allowed: the first one is already too many.
    let error = limited(0).send(&get(&url)).await.unwrap_err();
    assert_eq!(error.kind(), Kind::Redirects);
}

fn redirect_to(target: &molotov_target::Target, to: &str, status: u16) -> String {
    target.url(&format!("/redirect?to={to}&status={status}"))
}

#[tokio::test]
async fn see_other_after_post_becomes_a_get_without_body() {
    let target = target();
    let mut req = request(Method::POST, &redirect_to(&target, "/echo", 303));
    req.body = Bytes::from_static(b"form=1");
    req.headers
        .insert("content-type", HeaderValue::from_static("text/plain"));
    let response = client().send(&req).await.unwrap();
    assert_eq!(response.history()[0].status(), StatusCode::SEE_OTHER);
    let echoed = json(&response);
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["body"], "");
    assert!(echoed["headers"].get("content-length").is_none());
    assert!(echoed["headers"].get("content-type").is_none());
}

#[tokio::test]
async fn found_after_post_becomes_a_get() {
    let target = target();
    let mut req = request(Method::POST, &redirect_to(&target, "/echo", 302));
    req.body = Bytes::from_static(b"form=1");
    let echoed = json(&client().send(&req).await.unwrap());
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["body"], "");
}

#[tokio::test]
async fn temporary_and_permanent_redirects_keep_the_method_and_body() {
    let target = target();
    let client = client();
    for status in [307, 308] {
        let mut req = request(Method::POST, &redirect_to(&target, "/echo", status));
        req.body = Bytes::from_static(b"kept");
        let response = client.send(&req).await.unwrap();
        assert_eq!(response.history()[0].status().as_u16(), status);
        let echoed = json(&response);
        assert_eq!(echoed["method"], "POST", "{status}");
        assert_eq!(echoed["body"], "kept", "{status}");
        assert_eq!(echoed["headers"]["content-length"], "4");
    }
    let mut req = request(Method::PUT, &redirect_to(&target, "/echo", 303));
    req.body = Bytes::from_static(b"gone");
    let echoed = json(&client.send(&req).await.unwrap());
    assert_eq!(echoed["method"], "GET");
}

#[tokio::test]
async fn a_redirect_to_another_origin_drops_the_authorization() {
    let first = target();
    let second = target();
    let mut req = get(&redirect_to(&first, &second.url("/echo"), 302));
    req.headers
        .insert("authorization", HeaderValue::from_static("Bearer secret"));
    req.headers.insert("x-kept", HeaderValue::from_static("1"));
    let response = client().send(&req).await.unwrap();
    assert_eq!(response.url().as_str(), second.url("/echo"));
    let echoed = json(&response);
    assert!(echoed["headers"].get("authorization").is_none());
    assert_eq!(echoed["headers"]["x-kept"], "1");
    assert_eq!(second.requests_to("/echo"), 1);

    // Same origin: it stays.
    let mut req = get(&redirect_to(&first, "/echo", 302));
    req.headers
        .insert("authorization", HeaderValue::from_static("Bearer secret"));
    let echoed = json(&client().send(&req).await.unwrap());
    assert_eq!(echoed["headers"]["authorization"], "Bearer secret");
}
