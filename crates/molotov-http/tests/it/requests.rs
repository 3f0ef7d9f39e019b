//! What the client sends: methods, query strings, headers, defaults and bodies.

use molotov_http::{Bytes, Client, ClientConfig, HeaderMap, HeaderValue, Method};

use crate::support::{client, get, json, request, target};

#[tokio::test]
async fn every_method_reaches_the_server_as_sent() {
    let target = target();
    let client = client();
    let custom = Method::from_bytes(b"PURGE").unwrap();
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        custom,
    ] {
        let response = client
            .send(&request(method.clone(), &target.url("/echo")))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(json(&response)["method"], method.as_str());
    }
    assert_eq!(target.requests_to("/echo"), 7);
}

#[tokio::test]
async fn head_gets_the_headers_and_no_body() {
    let target = target();
    let client = client();
    let response = client
        .send(&request(Method::HEAD, &target.url("/bytes/500")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-length"), Some("500"));
    assert!(response.body().is_empty());
    // The connection is still in step: the next request on it gets its own answer.
    let next = client.send(&get(&target.url("/"))).await.unwrap();
    assert_eq!(next.text(), r#"{"result": "OK"}"#);
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn the_query_string_arrives() {
    let target = target();
    let response = client()
        .send(&get(&target.url("/echo?a=1&b=two%20words")))
        .await
        .unwrap();
    let echoed = json(&response);
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["query"], "a=1&b=two%20words");
}

#[tokio::test]
async fn request_headers_and_defaults_are_sent_and_the_request_wins() {
    let target = target();
    let mut defaults = HeaderMap::new();
    defaults.insert("x-default", HeaderValue::from_static("from-config"));
    defaults.insert("x-both", HeaderValue::from_static("from-config"));
    let client = Client::new(ClientConfig {
        headers: defaults,
        ..ClientConfig::default()
    });
    let mut req = get(&target.url("/echo"));
    req.headers
        .insert("x-both", HeaderValue::from_static("from-request"));
    req.headers
        .insert("X-Mixed-Case", HeaderValue::from_static("yes"));
    let echoed = json(&client.send(&req).await.unwrap());
    let headers = &echoed["headers"];
    assert_eq!(headers["x-default"], "from-config");
    assert_eq!(headers["x-both"], "from-request");
    assert_eq!(headers["x-mixed-case"], "yes");
    assert_eq!(headers["host"], target.addr().to_string());
    assert_eq!(headers["accept"], "*/*");
}

#[tokio::test]
async fn user_agent_defaults_and_can_be_replaced() {
    let target = target();
    let client = client();
    let echoed = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    let agent = echoed["headers"]["user-agent"].as_str().unwrap();
    assert!(agent.starts_with("molotov/"), "{agent}");

    let mut req = get(&target.url("/echo"));
    req.headers
        .insert("user-agent", HeaderValue::from_static("my-agent"));
    let echoed = json(&client.send(&req).await.unwrap());
    assert_eq!(echoed["headers"]["user-agent"], "my-agent");

    let custom = Client::new(ClientConfig {
        user_agent: "configured/1".to_owned(),
        ..ClientConfig::default()
    });
    let echoed = json(&custom.send(&get(&target.url("/echo"))).await.unwrap());
    assert_eq!(echoed["headers"]["user-agent"], "configured/1");
}

#[tokio::test]
async fn body_bytes_arrive_intact_with_their_length() {
    let target = target();
    let client = client();
    for method in [Method::POST, Method::PUT, Method::PATCH] {
        let mut req = request(method.clone(), &target.url("/echo"));
        req.body = Bytes::from_static("{\"é\": [1, 2]}\r\n\r\nend".as_bytes());
        req.headers
            .insert("content-type", HeaderValue::from_static("application/json"));
        let echoed = json(&client.send(&req).await.unwrap());
        assert_eq!(echoed["method"], method.as_str());
        assert_eq!(echoed["body"], "{\"é\": [1, 2]}\r\n\r\nend");
        assert_eq!(
            echoed["headers"]["content-length"],
            req.body.len().to_string()
        );
        assert_eq!(echoed["headers"]["content-type"], "application/json");
    }
}

#[tokio::test]
async fn a_large_body_arrives_intact() {
    let target = target();
    let mut req = request(Method::POST, &target.url("/echo"));
    let body: String = "0123456789abcdef".repeat(64 * 1024);
    req.body = Bytes::from(body.clone());
    let echoed = json(&client().send(&req).await.unwrap());
    assert_eq!(echoed["body"].as_str().map(str::len), Some(body.len()));
    assert_eq!(echoed["body"], body.as_str());
}

#[tokio::test]
async fn post_with_an_empty_body_sends_a_zero_length() {
    let target = target();
    let client = client();
    let echoed = json(
        &client
            .send(&request(Method::POST, &target.url("/echo")))
            .await
            .unwrap(),
    );
    assert_eq!(echoed["headers"]["content-length"], "0");
    assert_eq!(echoed["body"], "");
    // A GET without a body announces none.
    let echoed = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    assert!(echoed["headers"].get("content-length").is_none());
}

#[tokio::test]
async fn an_authorization_header_reaches_basic_auth() {
    let target = target();
    let client = client();
    let url = target.url("/basic-auth/user/pass");
    let refused = client.send(&get(&url)).await.unwrap();
    assert_eq!(refused.status(), 401);
    let mut req = get(&url);
    // base64("user:pass")
    req.headers.insert(
        "authorization",
        HeaderValue::from_static("Basic dXNlcjpwYXNz"),
    );
    let accepted = client.send(&req).await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(json(&accepted)["authenticated"], true);
}

#[tokio::test]
async fn a_host_name_is_resolved_and_sent_as_host() {
    let target = target();
    let client = client();
    let port = target.addr().port();
    let url = format!("http://localhost:{port}/echo");
    for _ in 0..2 {
        let echoed = json(&client.send(&get(&url)).await.unwrap());
        assert_eq!(echoed["headers"]["host"], format!("localhost:{port}"));
    }
    assert_eq!(target.connections(), 1);
}

#[tokio::test]
async fn default_headers_can_be_left_out_by_a_request() {
    let target = target();
    let mut defaults = molotov_http::HeaderMap::new();
    defaults.insert("x-default", "yes".parse().unwrap());
    let client = molotov_http::Client::new(molotov_http::ClientConfig {
        headers: defaults,
        ..molotov_http::ClientConfig::default()
    });
    let with = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    assert_eq!(with["headers"]["x-default"], "yes");
    let mut request = get(&target.url("/echo"));
    request.default_headers = false;
    let without = json(&client.send(&request).await.unwrap());
    assert!(without["headers"].get("x-default").is_none(), "{without}");
}
