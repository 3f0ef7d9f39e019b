//! A WebSocket load test: each scenario run opens a socket to the target's `/ws` echo, sends
//! 100 text messages one at a time (each waits for its echo) and closes. `bench/websocket.py`
//! measures it against a plain `tokio-tungstenite` client doing the same (`ws_baseline`).
//!
//! ```text
//! molotov-target --port 8080 &
//! cargo run --release --example ws_echo -- -w 10 -d 5
//! ```
//! `MOLOTOV_TARGET` changes the server (default `http://127.0.0.1:8080/`).

use std::sync::LazyLock;

use molotov::http::Message;
use molotov::prelude::*;

/// Messages per socket.
const MESSAGES: usize = 100;

static URL: LazyLock<String> = LazyLock::new(|| {
    let base = std::env::var("MOLOTOV_TARGET").unwrap_or_else(|_| "http://127.0.0.1:8080/".into());
    format!(
        "{}/ws",
        base.replacen("http", "ws", 1).trim_end_matches('/')
    )
});

#[scenario]
async fn echo(session: Session) -> ScenarioResult {
    let socket = session.websocket(&URL).name("echo").connect().await?;
    for _ in 0..MESSAGES {
        socket.send_text("hello").await?;
        let echoed = socket.recv().await;
        ensure!(
            matches!(&echoed, Some(Ok(Message::Text(t))) if t == "hello"),
            "unexpected {echoed:?}"
        );
    }
    socket.close(1000, "done").await?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    molotov::main(molotov::plan![echo])
}
