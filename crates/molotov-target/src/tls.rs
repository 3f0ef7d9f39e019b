//! HTTPS with a certificate made at start: tests and demos need TLS, not a trusted identity.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up.
#[derive(Debug)]
pub(crate) enum TlsError {
    /// rcgen could not make the certificate.
    Certificate(rcgen::Error),
    /// rustls refused the certificate or the protocol versions.
    Config(rustls::Error),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate(error) => write!(f, "cannot make a self-signed certificate: {error}"),
            Self::Config(error) => write!(f, "cannot configure TLS: {error}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<TlsError> for std::io::Error {
    fn from(error: TlsError) -> Self {
        std::io::Error::other(error)
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost` and `127.0.0.1`,
/// offering ALPN `h2` then `http/1.1` so clients pick HTTP/2 when they can.
pub(crate) fn acceptor() -> Result<TlsAcceptor, TlsError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(TlsError::Certificate)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
