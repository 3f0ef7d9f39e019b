//! The knobs of a target server.

/// How a target server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetConfig {
    /// Serve HTTPS (self-signed certificate, ALPN `h2` and `http/1.1`) instead of plain HTTP.
    pub tls: bool,
    /// Worker threads of the runtime [`crate::Target`] and the binary build. One is the
    /// default because a target that shares the machine with the load generator should not
    /// compete with it for every core.
    pub threads: usize,
}

impl Default for TargetConfig {
    fn default() -> Self {
        Self {
            tls: false,
            threads: 1,
        }
    }
}
