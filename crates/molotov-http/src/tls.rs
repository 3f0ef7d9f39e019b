//! TLS client configuration, built once per process and shared by every worker's client.
//!
//! Building a rustls configuration (root store, provider) is far more expensive than a request,
//! and a run can have ten thousand workers, so [`TlsContext`] builds each variant lazily, once,
//! and hands out `Arc`s.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

/// The TLS settings shared by the clients of one process. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct TlsContext {
    inner: Arc<Configs>,
}

#[derive(Debug, Default)]
struct Configs {
    verified: OnceLock<Arc<ClientConfig>>,
    unverified: OnceLock<Arc<ClientConfig>>,
    /// The same, offering `h2` before `http/1.1` by ALPN.
    verified_h2: OnceLock<Arc<ClientConfig>>,
    unverified_h2: OnceLock<Arc<ClientConfig>>,
}

impl TlsContext {
    /// A context that trusts the Mozilla root certificates (webpki-roots).
    pub fn new() -> Self {
        TlsContext::default()
    }

    /// The rustls configuration; `verify: false` accepts any certificate and host name;
    /// `h2` offers `h2` before `http/1.1` by ALPN.
    pub(crate) fn config_for(&self, verify: bool, h2: bool) -> Arc<ClientConfig> {
        let cell = match (verify, h2) {
            (true, false) => &self.inner.verified,
            (false, false) => &self.inner.unverified,
            (true, true) => &self.inner.verified_h2,
            (false, true) => &self.inner.unverified_h2,
        };
        cell.get_or_init(|| {
            let mut config = build(verify);
            if h2 {
                config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            }
            Arc::new(config)
        })
        .clone()
    }
}

fn build(verify: bool) -> ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable_versions());
    let mut config = if verify {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// The ring provider supports the default protocol versions; this only documents the invariant
/// without a panic path in normal builds.
#[cold]
fn unreachable_versions() -> ! {
    unreachable!("invariant: the ring provider supports TLS 1.2 and 1.3")
}

/// The verifier behind `verify_tls: false`: every certificate and host name is accepted, as with
/// `curl -k` or aiohttp's `ssl=False`. Signatures are still checked so the handshake is real.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
