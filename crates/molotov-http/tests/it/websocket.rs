//! WebSocket against the target's `/ws` echo: text and binary echoed, ping answered by a
//! pong, a close started by the server, a handshake refused (404) with its status kept.

use molotov_http::{Bytes, Client, ClientConfig, Kind, Message, Url, WebSocketRequest};

use crate::support::{target, tls_target};

fn ws_url(http: &str) -> Url {
    let mut url: Url = http.parse().unwrap();
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme).unwrap();
    url
}

#[tokio::test]
async fn text_binary_ping_and_a_server_close() {
    let server = target();
    let client = Client::new(ClientConfig::default());
    let socket = client
        .websocket(&WebSocketRequest::new(ws_url(&server.url("/ws"))))
        .await
        .unwrap();
    socket.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("hello".into())
    );
    let bytes = Bytes::from_static(&[0, 1, 2, 255]);
    socket.send(Message::Binary(bytes.clone())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Binary(bytes)
    );
    socket
        .send(Message::Ping(Bytes::from_static(b"p")))
        .await
        .unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Pong(Bytes::from_static(b"p"))
    );
    socket.send(Message::Text("close".into())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Close(1000, "bye".into())
    );
    assert_eq!(socket.close_code(), Some(1000));
    assert!(socket.recv().await.is_none());
    assert_eq!(server.requests_to("/ws"), 1);
}

#[tokio::test]
async fn wss_and_a_client_close() {
    let server = tls_target();
    let client = Client::new(ClientConfig {
        verify_tls: false,
        ..ClientConfig::default()
    });
    let socket = client
        .websocket(&WebSocketRequest::new(ws_url(&server.url("/ws"))))
        .await
        .unwrap();
    socket.send(Message::Text("over tls".into())).await.unwrap();
    assert_eq!(
        socket.recv().await.unwrap().unwrap(),
        Message::Text("over tls".into())
    );
    socket.close(1000, "done").await.unwrap();
    assert_eq!(socket.close_code(), Some(1000));
}

#[tokio::test]
async fn a_refused_handshake_keeps_its_status() {
    let server = target();
    let client = Client::new(ClientConfig::default());
    let error = client
        .websocket(&WebSocketRequest::new(ws_url(&server.url("/status/403"))))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Kind::WebSocket, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
}
