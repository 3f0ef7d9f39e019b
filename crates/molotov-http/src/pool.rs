//! Idle keep-alive connections of one client, per origin.
//!
//! A worker talks to one or two origins, so the pool is a short vector searched linearly:
//! cheaper than hashing the host on every request, and no allocation once an origin is known.

use crate::conn::Conn;

/// How a connection is secured. Verified and unverified TLS connections to one host are kept
/// apart, so a request that asks for verification never reuses a connection made without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    Plain,
    Verified,
    Unverified,
}

/// Where a connection goes: scheme (and certificate checks), host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) tls: Security,
    pub(crate) host: Box<str>,
    pub(crate) port: u16,
}

impl Origin {
    /// The borrowed form.
    pub(crate) fn as_ref(&self) -> OriginRef<'_> {
        OriginRef {
            tls: self.tls,
            host: &self.host,
            port: self.port,
        }
    }
}

/// Borrowed form of [`Origin`], to look up without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OriginRef<'a> {
    pub(crate) tls: Security,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
}

impl OriginRef<'_> {
    pub(crate) fn matches(&self, origin: &Origin) -> bool {
        origin.port == self.port && origin.tls == self.tls && &*origin.host == self.host
    }

    pub(crate) fn to_owned(self) -> Origin {
        Origin {
            tls: self.tls,
            host: self.host.into(),
            port: self.port,
        }
    }
}

/// The idle connections, by origin.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Vec<(Origin, Vec<Conn>)>,
}

impl Pool {
    /// An idle connection to `origin`, most recently used first.
    pub(crate) fn take(&mut self, origin: OriginRef<'_>) -> Option<Conn> {
        self.idle
            .iter_mut()
            .find(|(o, _)| origin.matches(o))
            .and_then(|(_, conns)| conns.pop())
    }

    /// Returns a connection after a complete exchange.
    pub(crate) fn put(&mut self, origin: OriginRef<'_>, conn: Conn) {
        if let Some((_, conns)) = self.idle.iter_mut().find(|(o, _)| origin.matches(o)) {
            conns.push(conn);
        } else {
            self.idle.push((origin.to_owned(), vec![conn]));
        }
    }

    /// The number of idle connections.
    pub(crate) fn idle(&self) -> usize {
        self.idle.iter().map(|(_, c)| c.len()).sum()
    }

    /// Closes every idle connection.
    pub(crate) fn clear(&mut self) {
        self.idle.clear();
    }
}
