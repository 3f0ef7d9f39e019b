//! `Session::websocket` in a run: messages echoed by the target's `/ws`, the handshake
//! recorded as the request `WS <name>` with status 101, a refused one as a `websocket`
//! failure.

use std::cell::RefCell;
use std::rc::Rc;

use molotov_core::http::Message;
use molotov_core::{Event, Plan, Scenario, Session};

use crate::support::{config, run, target};

#[tokio::test]
async fn a_socket_echoes_and_its_handshake_is_a_recorded_request() {
    let server = target();
    let url = server.url("/ws").replacen("http", "ws", 1);
    let refused = server.url("/status/403").replacen("http", "ws", 1);
    let plan = Plan::new()
        .scenario(Scenario::new("chat", move |session: Session| {
            let url = url.clone();
            async move {
                let socket = session.websocket(&url).name("echo").connect().await?;
                for i in 0..3 {
                    socket.send_text(&format!("message {i}")).await?;
                    let echoed = socket.recv().await.expect("an answer")?;
                    molotov_core::ensure!(echoed == Message::Text(format!("message {i}")));
                }
                socket.close(1000, "done").await?;
                molotov_core::ensure!(socket.close_code() == Some(1000));
                Ok(())
            }
        }))
        .scenario(
            Scenario::new("refused", move |session: Session| {
                let refused = refused.clone();
                async move {
                    session.websocket(&refused).connect().await?;
                    Ok(())
                }
            })
            .weight(0),
        );
    let summary = run(plan, config(2, 4)).await;
    let chat = &summary.report.scenarios["chat"];
    assert_eq!((chat.successes, chat.failures), (8, 0));
    let handshake = &summary.report.requests["WS echo"];
    assert_eq!(handshake.statuses["101"], 8);
    assert_eq!(handshake.latency.count(), 8);
    assert_eq!(server.requests_to("/ws"), 8);
    let sockets = &summary.report.websockets["echo"];
    assert_eq!(
        (sockets.opened, sockets.closed, sockets.failed()),
        (8, 8, 0)
    );
    assert_eq!((sockets.sent, sockets.received), (24, 24));
    assert_eq!(sockets.sent_bytes, 8 * 3 * "message 0".len() as u64);
    assert_eq!(sockets.duration.count(), 8);

    let plan = Plan::new().scenario(Scenario::new("refused", move |session: Session| {
        let refused = server.url("/status/403").replacen("http", "ws", 1);
        async move {
            session.websocket(&refused).connect().await?;
            Ok(())
        }
    }));
    let summary = run(plan, config(1, 2)).await;
    let refused = &summary.report.requests["WS /status/403"];
    assert_eq!(refused.errors["websocket"], 2);
    assert_eq!(summary.report.scenarios["refused"].failures, 2);
}

#[tokio::test]
async fn listeners_see_the_handshake_as_a_request_and_its_101() {
    let server = target();
    let url = server.url("/ws").replacen("http", "ws", 1);
    let seen: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    let recorded = seen.clone();
    let plan = Plan::new()
        .scenario(Scenario::new("chat", move |session: Session| {
            let url = url.clone();
            async move {
                let socket = session
                    .websocket(&url)
                    .header("X-Hello", "1")
                    .connect()
                    .await?;
                socket.close(1000, "done").await?;
                Ok(())
            }
        }))
        .listener(move |event: &Event<'_>| {
            match event {
                Event::SendingRequest { request, .. } => recorded.borrow_mut().push((
                    event.name().to_owned(),
                    format!(
                        "{} {}",
                        request.url.scheme(),
                        request.headers["x-hello"].to_str().unwrap()
                    ),
                )),
                Event::ResponseReceived { response, .. } => recorded.borrow_mut().push((
                    event.name().to_owned(),
                    response.status().as_u16().to_string(),
                )),
                _ => {}
            }
            Ok(())
        });
    let summary = run(plan, config(1, 2)).await;
    assert_eq!(summary.successes(), 2);
    let seen = seen.borrow();
    let expected = [("sending_request", "ws 1"), ("response_received", "101")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .cycle()
        .take(4)
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(*seen, expected);
}
