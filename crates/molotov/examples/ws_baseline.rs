//! The yardstick of `bench/websocket.py`: a plain `tokio-tungstenite` client, on one thread,
//! with `CONNECTIONS` tasks that each open a socket to `URL`, send 100 text messages one at a
//! time (each waits for its echo) and close, again and again for `SECONDS`; prints the
//! messages echoed.
//!
//! ```text
//! cargo run --release --example ws_baseline -- ws://127.0.0.1:8080/ws 10 5
//! ```

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "a benchmark's yardstick: any failure ends it, and it prints its count"
)]

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:8080/ws".into());
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let echoed = runtime.block_on(async move {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let mut echoed = 0_u64;
                    while Instant::now() < deadline {
                        let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
                            .await
                            .expect("the handshake");
                        for _ in 0..100 {
                            socket.send(Message::text("hello")).await.expect("a send");
                            match socket.next().await {
                                Some(Ok(Message::Text(t))) if t.as_str() == "hello" => echoed += 1,
                                other => panic!("unexpected {other:?}"),
                            }
                        }
                        let _ = socket.close(None).await;
                        while socket.next().await.is_some() {}
                    }
                    echoed
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("a task");
        }
        total
    });
    println!("{echoed}");
}
