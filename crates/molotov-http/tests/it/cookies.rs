//! The cookie jar: cookies servers set come back, cookies given up front go everywhere.

use molotov_http::{Client, ClientConfig};

use crate::support::{client, get, json, target};

#[tokio::test]
async fn cookies_a_server_sets_are_sent_back() {
    let target = target();
    let client = client();
    let set = client
        .send(&get(&target.url("/cookies/set?a=1&b=two")))
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let echoed = json(&client.send(&get(&target.url("/cookies"))).await.unwrap());
    assert_eq!(echoed, serde_json::json!({"a": "1", "b": "two"}));
}

#[tokio::test]
async fn cookies_set_during_redirects_are_kept() {
    let target = target();
    let client = client();
    let response = client
        .send(&get(&target.url("/redirect?to=/cookies/set%3Fr%3D1")))
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/cookies/set");
    let echoed = json(&client.send(&get(&target.url("/cookies"))).await.unwrap());
    assert_eq!(echoed["r"], "1");
}

#[tokio::test]
async fn initial_cookies_are_sent_with_every_request() {
    let target = target();
    let client = Client::new(ClientConfig {
        cookies: vec![("session".to_owned(), "abc".to_owned())],
        ..ClientConfig::default()
    });
    client.add_cookie("extra", "x");
    for _ in 0..2 {
        let echoed = json(&client.send(&get(&target.url("/cookies"))).await.unwrap());
        assert_eq!(echoed, serde_json::json!({"session": "abc", "extra": "x"}));
    }
    client
        .send(&get(&target.url("/cookies/set?a=1")))
        .await
        .unwrap();
    let echoed = json(&client.send(&get(&target.url("/cookies"))).await.unwrap());
    assert_eq!(
        echoed,
        serde_json::json!({"session": "abc", "extra": "x", "a": "1"})
    );
}

#[tokio::test]
async fn the_jar_can_be_listed_and_cleared() {
    let target = target();
    let client = Client::new(ClientConfig {
        cookies: vec![("fixed".to_owned(), "f".to_owned())],
        ..ClientConfig::default()
    });
    client
        .send(&get(&target.url("/cookies/set?a=1")))
        .await
        .unwrap();
    let mut cookies = client.cookies();
    cookies.sort();
    assert_eq!(
        cookies,
        [
            ("a".to_owned(), "1".to_owned(), "127.0.0.1".to_owned()),
            ("fixed".to_owned(), "f".to_owned(), String::new()),
        ]
    );
    client.clear_cookies();
    assert!(client.cookies().is_empty());
    let echoed = json(&client.send(&get(&target.url("/cookies"))).await.unwrap());
    assert_eq!(echoed, serde_json::json!({}));
    let echoed = json(&client.send(&get(&target.url("/echo"))).await.unwrap());
    assert!(echoed["headers"].get("cookie").is_none());
}

#[tokio::test]
async fn clients_do_not_share_cookies() {
    let target = target();
    let one = client();
    let two = client();
    one.send(&get(&target.url("/cookies/set?mine=1")))
        .await
        .unwrap();
    let echoed = json(&two.send(&get(&target.url("/cookies"))).await.unwrap());
    assert_eq!(echoed, serde_json::json!({}));
}
