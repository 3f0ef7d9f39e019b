//! HTTP/2 (`ClientConfig::http2`) against the bundled target, which speaks h2c (prior
//! knowledge) and h2 over TLS (ALPN): one connection per origin carries concurrent requests
//! as streams, and cookies, redirects, decompression and POST bodies work as over HTTP/1.1.

use futures_util::future::join_all;
use molotov_http::{Bytes, Client, ClientConfig, Method, Version};

use crate::support::{get, json, request, target, tls_target};

fn h2(verify_tls: bool) -> Client {
    Client::new(ClientConfig {
        http2: true,
        verify_tls,
        ..ClientConfig::default()
    })
}

#[tokio::test]
async fn concurrent_requests_are_streams_of_one_h2c_connection() {
    let server = target();
    let client = h2(true);
    let url = server.url("/delay/50");
    let requests: Vec<_> = (0..20).map(|_| get(&url)).collect();
    let responses = join_all(requests.iter().map(|r| client.send(r))).await;
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), Version::HTTP_2);
    }
    assert_eq!(server.http2_requests(), 20);
    assert_eq!(server.connections(), 1);
    assert_eq!(client.connections_opened(), 1);
}

#[tokio::test]
async fn tls_picks_h2_by_alpn() {
    let server = tls_target();
    let client = h2(false);
    for _ in 0..3 {
        let response = client.send(&get(&server.url("/"))).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.text(), r#"{"result": "OK"}"#);
    }
    assert_eq!((server.http2_requests(), server.connections()), (3, 1));
}

#[tokio::test]
async fn cookies_redirects_bodies_and_compression_work_as_over_http1() {
    let server = target();
    let client = h2(true);
    let set = client
        .send(&get(&server.url("/cookies/set?flavour=oat")))
        .await
        .unwrap();
    assert_eq!(set.headers().get("set-cookie"), Some("flavour=oat; Path=/"));
    let cookies = client.send(&get(&server.url("/cookies"))).await.unwrap();
    assert_eq!(json(&cookies)["flavour"], "oat");

    let redirected = client.send(&get(&server.url("/redirect/2"))).await.unwrap();
    assert_eq!(redirected.status(), 200);
    assert_eq!(redirected.history().len(), 2);

    let mut post = request(Method::POST, &server.url("/echo"));
    post.body = Bytes::from_static(b"hello over h2");
    let echoed = client.send(&post).await.unwrap();
    assert_eq!(json(&echoed)["body"], "hello over h2");

    let compressed = client
        .send(&get(&server.url("/gzip/100000")))
        .await
        .unwrap();
    assert_eq!(compressed.body().len(), 100_000);
    assert_eq!(server.http2_requests(), server.requests());
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn without_http2_nothing_changes() {
    let server = tls_target();
    let client = Client::new(ClientConfig {
        verify_tls: false,
        ..ClientConfig::default()
    });
    let response = client.send(&get(&server.url("/"))).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(server.http2_requests(), 0);
}

/// An HTTP/2 server of the `h2` crate's (not ours, not hyper's): answers each request with
/// 200, resets the streams of `/reset` (`REFUSED_STREAM`), and sends a GOAWAY after
/// `goaway_after` requests on a connection. Returns its address and its connection count.
async fn h2_server(
    goaway_after: usize,
) -> (std::net::SocketAddr, std::rc::Rc<std::cell::Cell<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = accepted.clone();
    tokio::task::spawn_local(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            counter.set(counter.get() + 1);
            tokio::task::spawn_local(async move {
                let mut connection = h2::server::handshake(socket).await.unwrap();
                let mut answered = 0;
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    if request.uri().path() == "/reset" {
                        respond.send_reset(h2::Reason::REFUSED_STREAM);
                        continue;
                    }
                    let response = http::Response::builder().status(200).body(()).unwrap();
                    let mut body = respond.send_response(response, false).unwrap();
                    body.send_data(Bytes::from_static(b"ok"), true).unwrap();
                    answered += 1;
                    if answered == goaway_after {
                        connection.graceful_shutdown();
                    }
                }
            });
        }
    });
    (address, accepted)
}

#[tokio::test]
async fn a_goaway_is_followed_by_a_new_connection_and_a_reset_is_its_own_failure() {
    tokio::task::LocalSet::new()
        .run_until(async {
            let (address, accepted) = h2_server(2).await;
            let client = h2(true);
            let url = format!("http://{address}/");
            for _ in 0..5 {
                let response = client.send(&get(&url)).await.unwrap();
                assert_eq!(
                    (response.status().as_u16(), response.version()),
                    (200, Version::HTTP_2)
                );
                assert_eq!(response.text(), "ok");
            }
            // Two requests per connection, then a GOAWAY: the next request opened a new one.
            assert_eq!(accepted.get(), 3);
            let error = client
                .send(&get(&format!("http://{address}/reset")))
                .await
                .unwrap_err();
            assert_eq!(error.kind(), molotov_http::Kind::StreamReset, "{error}");
            assert_eq!(error.kind_name(), "h2-reset");
        })
        .await;
}

#[tokio::test]
async fn the_servers_stream_limit_is_respected_and_the_wait_is_not_latency() {
    tokio::task::LocalSet::new()
        .run_until(async {
            // At most 2 streams at once; each answer takes 100 ms.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let busiest = std::rc::Rc::new(std::cell::Cell::new(0_usize));
            let seen = busiest.clone();
            tokio::task::spawn_local(async move {
                let (socket, _) = listener.accept().await.unwrap();
                let mut connection = h2::server::Builder::new()
                    .max_concurrent_streams(2)
                    .handshake::<_, Bytes>(socket)
                    .await
                    .unwrap();
                let open = std::rc::Rc::new(std::cell::Cell::new(0_usize));
                while let Some(Ok((_, mut respond))) = connection.accept().await {
                    let (open, seen) = (open.clone(), seen.clone());
                    open.set(open.get() + 1);
                    seen.set(seen.get().max(open.get()));
                    tokio::task::spawn_local(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        open.set(open.get() - 1);
                        let response = http::Response::builder().status(200).body(()).unwrap();
                        let _ = respond.send_response(response, true);
                    });
                }
            });
            let client = h2(true);
            let requests: Vec<_> = (0..6).map(|_| get(&format!("http://{address}/"))).collect();
            let responses = join_all(requests.iter().map(|r| client.send(r))).await;
            let queued: Vec<_> = responses.into_iter().map(|r| r.unwrap().queued()).collect();
            assert_eq!(
                busiest.get(),
                2,
                "never more streams than the server allows"
            );
            // Four of the six waited for a free stream (about 100 and 200 ms).
            let waited = queued.iter().filter(|q| q.as_millis() >= 50).count();
            assert_eq!(waited, 4, "{queued:?}");
        })
        .await;
}
