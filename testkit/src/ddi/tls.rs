//! HTTPS for the DDI listener, with optional client certificates: hawkBit
//! behind a TLS-terminating proxy that maps the certificate's CN to the
//! controller id. A fixed test PKI ([`test_pki`]) is built in.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A fixed PKI for tests, valid until 2126: a CA, a server certificate for
/// `127.0.0.1` and `localhost`, and client certificates for the controllers
/// `dev-1` and `dev-2`. The CA's key is not kept, so nothing else chains to it.
pub mod test_pki {
    /// The CA certificate (PEM): trust it to reach the simulator over HTTPS.
    pub const CA_CERT: &str = include_str!("pki/ca.pem");
    /// The server certificate (PEM), `CN=127.0.0.1`, SANs `127.0.0.1` and `localhost`.
    pub const SERVER_CERT: &str = include_str!("pki/server.pem");
    /// The server's private key (PKCS#8 PEM).
    pub const SERVER_KEY: &str = include_str!("pki/server.key.pem");
    /// A client certificate with `CN=dev-1` (PEM).
    pub const DEV1_CERT: &str = include_str!("pki/dev-1.pem");
    /// The private key of [`DEV1_CERT`] (PKCS#8 PEM).
    pub const DEV1_KEY: &str = include_str!("pki/dev-1.key.pem");
    /// A client certificate with `CN=dev-2` (PEM).
    pub const DEV2_CERT: &str = include_str!("pki/dev-2.pem");
    /// The private key of [`DEV2_CERT`] (PKCS#8 PEM).
    pub const DEV2_KEY: &str = include_str!("pki/dev-2.key.pem");
}

/// How the DDI listener speaks TLS.
#[derive(Clone)]
pub struct TlsConfig {
    /// The server's certificate chain (PEM).
    pub cert_chain_pem: String,
    /// The server's private key (PEM).
    pub key_pem: String,
    /// CAs whose client certificates are accepted (PEM); `None` asks for none.
    pub client_ca_pem: Option<String>,
    /// Refuse the handshake without a client certificate.
    pub require_client_cert: bool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("client_ca", &self.client_ca_pem.is_some())
            .field("require_client_cert", &self.require_client_cert)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// The [`test_pki`] server certificate; client certificates from the test
    /// CA are accepted but not required.
    pub fn test_pki() -> Self {
        Self {
            cert_chain_pem: test_pki::SERVER_CERT.to_owned(),
            key_pem: test_pki::SERVER_KEY.to_owned(),
            client_ca_pem: Some(test_pki::CA_CERT.to_owned()),
            require_client_cert: false,
        }
    }

    pub(crate) fn acceptor(&self) -> Result<TlsAcceptor, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("bad server certificate PEM: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| format!("bad server key PEM: {e}"))?;
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("no TLS versions: {e}"))?;
        let builder = match &self.client_ca_pem {
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    roots
                        .add(cert.map_err(|e| format!("bad client CA PEM: {e}"))?)
                        .map_err(|e| format!("unusable client CA: {e}"))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if self.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                builder.with_client_cert_verifier(
                    verifier
                        .build()
                        .map_err(|e| format!("client verifier: {e}"))?,
                )
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| format!("server certificate and key do not fit: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// A TCP listener that completes the TLS handshake before handing out a
/// connection; failed handshakes are dropped.
pub(crate) struct TlsListener {
    pub(crate) tcp: TcpListener,
    pub(crate) acceptor: TlsAcceptor,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let handshake = tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(tcp));
            if let Ok(Ok(tls)) = handshake.await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Who is on the other end of a connection: the CN of the TLS client
/// certificate, when there is one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Peer {
    pub(crate) common_name: Option<String>,
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        let (_, connection) = stream.io().get_ref();
        Self {
            common_name: connection
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|cert| subject_common_name(cert.as_ref())),
        }
    }
}

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(_: IncomingStream<'_, TcpListener>) -> Self {
        Self::default()
    }
}

/// The subject CN of a DER certificate: the last `2.5.4.3` attribute, since
/// the issuer's name comes before the subject's.
fn subject_common_name(der: &[u8]) -> Option<String> {
    const CN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    let at = der.windows(CN_OID.len()).rposition(|w| w == CN_OID)? + CN_OID.len();
    let tag = *der.get(at)?;
    if !matches!(tag, 0x0C | 0x13 | 0x16) {
        return None;
    }
    let len = usize::from(*der.get(at + 1)?);
    if len >= 0x80 {
        return None;
    }
    let value = der.get(at + 2..at + 2 + len)?;
    String::from_utf8(value.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn common_names_of_the_test_pki() {
        assert_eq!(
            subject_common_name(&der(test_pki::DEV1_CERT)).as_deref(),
            Some("dev-1")
        );
        assert_eq!(
            subject_common_name(&der(test_pki::DEV2_CERT)).as_deref(),
            Some("dev-2")
        );
        assert_eq!(
            subject_common_name(&der(test_pki::SERVER_CERT)).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            subject_common_name(&[0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x05, b'a']),
            None
        );
    }

    #[test]
    fn the_test_pki_makes_an_acceptor() {
        assert!(TlsConfig::test_pki().acceptor().is_ok());
        let broken = TlsConfig {
            key_pem: test_pki::DEV1_KEY.to_owned(),
            ..TlsConfig::test_pki()
        };
        assert!(broken.acceptor().is_err(), "key of another certificate");
    }
}
