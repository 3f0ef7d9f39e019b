//! `GET /ws`: a WebSocket echo, for demos, tests and benchmarks. Text and binary messages
//! come back as they were sent; the text `close` makes the server close (code 1000, reason
//! `bye`); pings are answered by the protocol. `/ws` without an upgrade is a 400.

use futures_util::{SinkExt as _, StreamExt as _};
use http::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use crate::body::TargetBody;
use crate::responses;

/// Answers the upgrade request with 101 and echoes on the upgraded connection.
pub(crate) fn echo(mut request: Request<Incoming>) -> Response<TargetBody> {
    let upgrading = request
        .headers()
        .get(UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let Some(key) = request.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return responses::error(StatusCode::BAD_REQUEST, "/ws needs a WebSocket upgrade");
    };
    if !upgrading {
        return responses::error(StatusCode::BAD_REQUEST, "/ws needs a WebSocket upgrade");
    }
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else {
            return;
        };
        let mut socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        while let Some(Ok(message)) = socket.next().await {
            let reply = match message {
                Message::Text(text) if text.as_str() == "close" => {
                    let frame = CloseFrame {
                        code: 1000.into(),
                        reason: "bye".into(),
                    };
                    let _ = socket.close(Some(frame)).await;
                    break;
                }
                Message::Text(_) | Message::Binary(_) => message,
                _ => continue,
            };
            if socket.send(reply).await.is_err() {
                break;
            }
        }
    });
    let mut response = Response::new(TargetBody::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}
