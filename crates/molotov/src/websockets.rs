//! The summary's WebSocket table: per socket name, sockets opened, closed normally and
//! failed, messages each way, and how long sockets stayed open (p50, max); the failures by
//! kind. (Handshakes are in the request table, as `WS <name>`.)

use std::collections::BTreeMap;
use std::fmt::Write as _;

use molotov_core::stats::SocketReport;

use crate::render::latency;

/// The table, or nothing when the run opened no WebSocket.
pub(crate) fn table(sockets: &BTreeMap<String, SocketReport>) -> String {
    let mut out = String::new();
    if sockets.is_empty() {
        return out;
    }
    let width = sockets
        .keys()
        .map(|name| name.chars().count())
        .chain(["WebSocket".len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}  failures",
        "WebSocket", "opened", "closed", "failed", "sent", "received", "p50 open", "max open"
    );
    for (name, socket) in sockets {
        let (p50, max) = if socket.duration.is_empty() {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                latency(socket.duration.percentile(50.0)),
                latency(socket.duration.max()),
            )
        };
        let failures: Vec<String> = socket
            .failures
            .iter()
            .map(|(kind, n)| format!("{kind}: {n}"))
            .collect();
        let _ = writeln!(
            out,
            "{name:<width$}  {:>9} {:>9} {:>9} {:>9} {:>9} {p50:>8} {max:>8}  {}",
            socket.opened,
            socket.closed,
            socket.failed(),
            socket.sent,
            socket.received,
            failures.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_table_has_a_row_per_name_with_its_failures() {
        assert_eq!(table(&BTreeMap::new()), "");
        let mut chat = SocketReport {
            opened: 3,
            closed: 2,
            sent: 10,
            received: 9,
            ..SocketReport::default()
        };
        chat.failures.insert("close 1011".into(), 1);
        chat.duration.record(Duration::from_millis(20));
        let text = table(&BTreeMap::from([("chat".to_owned(), chat)]));
        assert!(text.contains("WebSocket"), "{text}");
        let row = text.lines().find(|l| l.starts_with("chat")).unwrap();
        assert!(row.contains("close 1011: 1"), "{row}");
        assert_eq!(
            row.split_whitespace().take(6).collect::<Vec<_>>(),
            ["chat", "3", "2", "1", "10", "9"]
        );
    }
}
