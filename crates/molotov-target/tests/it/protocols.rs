//! HTTP/2 in plaintext (prior knowledge) and over TLS (ALPN), and HTTP/1.1 over TLS.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use molotov_target::{Target, TargetConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Sends `GET url` on an HTTP/2 connection; returns status, version and body.
async fn h2_get(
    sender: &mut http2::SendRequest<Empty<Bytes>>,
    url: &str,
) -> (StatusCode, Version, Bytes) {
    let request = Request::get(url).body(Empty::new()).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (status, version) = (response.status(), response.version());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, version, body)
}

#[tokio::test]
async fn plaintext_http2_with_prior_knowledge() {
    let target = Target::start(TargetConfig::default()).unwrap();
    let stream = TcpStream::connect(target.addr()).await.unwrap();
    let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let requests = ["/", "/echo", "/chunked/10"].map(|path| {
        let mut sender = sender.clone();
        let url = target.url(path);
        tokio::spawn(async move { h2_get(&mut sender, &url).await })
    });
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    for (status, version, _) in &answers {
        assert_eq!(*status, StatusCode::OK);
        assert_eq!(*version, Version::HTTP_2);
    }
    assert_eq!(&answers[0].2[..], br#"{"result": "OK"}"#);
    let echoed: serde_json::Value = serde_json::from_slice(&answers[1].2).unwrap();
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(&answers[2].2[..], b"abcdefghij");
    assert_eq!(target.connections(), 1);
    assert_eq!(target.requests(), 3);
}

/// Accepts any certificate: the target's is self-signed and made at start.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
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
        verify_tls12_signature(
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
        verify_tls13_signature(
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

/// A TLS connection to the target offering `alpn`.
async fn tls_connect(
    target: &Target,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let stream = TcpStream::connect(target.addr()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .unwrap()
}

#[tokio::test]
async fn tls_offers_h2_and_serves_it() {
    let target = Target::start(TargetConfig {
        tls: true,
        ..TargetConfig::default()
    })
    .unwrap();
    assert!(target.url("/").starts_with("https://127.0.0.1:"));
    let stream = tls_connect(&target, &[b"h2", b"http/1.1"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let (status, version, body) = h2_get(&mut sender, &target.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version, Version::HTTP_2);
    assert_eq!(&body[..], br#"{"result": "OK"}"#);
    assert_eq!(target.requests_to("/"), 1);
}

#[tokio::test]
async fn tls_serves_http1_too() {
    let target = Target::start(TargetConfig {
        tls: true,
        threads: 2,
    })
    .unwrap();
    let mut stream = tls_connect(&target, &[b"http/1.1"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    // Raw misbehaviour paths are plain requests under TLS.
    stream
        .write_all(b"GET /drop HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    // The server closes without a TLS close_notify sometimes; what was read is what counts.
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
    assert!(answer.ends_with(r#"{"error": "not found"}"#), "{answer}");
}
