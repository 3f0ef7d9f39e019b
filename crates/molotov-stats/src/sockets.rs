//! WebSocket figures, per socket name: sockets opened and closed, messages and bytes each
//! way, abnormal ends by kind, and how long sockets stayed open. (The handshake itself is a
//! request, in the request statistics.)

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::latency::Latency;

/// Distinct socket names tracked; later ones are counted under `(other)`.
const MAX_NAMES: usize = 1000;
/// The name past [`MAX_NAMES`].
const OTHER: &str = "(other)";

/// What the web sockets of one name did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SocketReport {
    /// Sockets opened (handshakes that succeeded).
    pub opened: u64,
    /// Sockets that ended with a normal close (1000, 1001 or no code, from either side).
    pub closed: u64,
    /// Sockets that ended otherwise, by kind (`close 1011`, `no close frame`, an error kind,
    /// `not closed` for a socket the scenario dropped open).
    #[serde(default)]
    pub failures: BTreeMap<String, u64>,
    /// Messages sent (text and binary).
    pub sent: u64,
    /// Messages received (text and binary).
    pub received: u64,
    /// Bytes of the messages sent.
    pub sent_bytes: u64,
    /// Bytes of the messages received.
    pub received_bytes: u64,
    /// How long sockets stayed open, handshake to close.
    pub duration: Latency,
}

impl SocketReport {
    /// Adds `other`'s figures.
    pub fn merge(&mut self, other: &SocketReport) {
        self.opened += other.opened;
        self.closed += other.closed;
        for (kind, n) in &other.failures {
            *self.failures.entry(kind.clone()).or_default() += n;
        }
        self.sent += other.sent;
        self.received += other.received;
        self.sent_bytes += other.sent_bytes;
        self.received_bytes += other.received_bytes;
        self.duration.merge(&other.duration);
    }

    /// Sockets that ended abnormally.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }
}

/// The recorder: socket reports by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sockets {
    by_name: BTreeMap<Box<str>, SocketReport>,
}

impl Sockets {
    fn entry(&mut self, name: &str) -> &mut SocketReport {
        let name = if self.by_name.contains_key(name) || self.by_name.len() < MAX_NAMES {
            name
        } else {
            OTHER
        };
        if !self.by_name.contains_key(name) {
            self.by_name.insert(name.into(), SocketReport::default());
        }
        self.by_name
            .get_mut(name)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    pub(crate) fn opened(&mut self, name: &str) {
        self.entry(name).opened += 1;
    }

    pub(crate) fn message(&mut self, name: &str, sent: bool, bytes: u64) {
        let entry = self.entry(name);
        if sent {
            entry.sent += 1;
            entry.sent_bytes += bytes;
        } else {
            entry.received += 1;
            entry.received_bytes += bytes;
        }
    }

    pub(crate) fn ended(&mut self, name: &str, open_for: Duration, failure: Option<&str>) {
        let entry = self.entry(name);
        entry.duration.record(open_for);
        match failure {
            None => entry.closed += 1,
            Some(kind) => *entry.failures.entry(kind.to_owned()).or_default() += 1,
        }
    }

    pub(crate) fn report_into(&self, out: &mut BTreeMap<String, SocketReport>) {
        for (name, report) in &self.by_name {
            out.entry(name.to_string()).or_default().merge(report);
        }
    }

    pub(crate) fn zero(&mut self) {
        for report in self.by_name.values_mut() {
            let mut duration = std::mem::take(&mut report.duration);
            duration.reset();
            *report = SocketReport {
                duration,
                ..SocketReport::default()
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_count_messages_ends_and_durations_and_merge() {
        let mut sockets = Sockets::default();
        sockets.opened("chat");
        sockets.message("chat", true, 5);
        sockets.message("chat", false, 7);
        sockets.ended("chat", Duration::from_millis(30), None);
        sockets.opened("chat");
        sockets.ended("chat", Duration::from_millis(10), Some("close 1011"));
        let mut out = BTreeMap::new();
        sockets.report_into(&mut out);
        let chat = out["chat"].clone();
        assert_eq!((chat.opened, chat.closed, chat.failed()), (2, 1, 1));
        assert_eq!(
            (
                chat.sent,
                chat.received,
                chat.sent_bytes,
                chat.received_bytes
            ),
            (1, 1, 5, 7)
        );
        assert_eq!(chat.duration.count(), 2);
        let mut both = chat.clone();
        both.merge(&chat);
        assert_eq!(
            (
                both.opened,
                both.failures["close 1011"],
                both.duration.count()
            ),
            (4, 2, 4)
        );
        let json = serde_json::to_string(&chat).unwrap();
        let back: SocketReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, chat);
    }
}
