//! `ClientBuilder::rustls_config`: a caller-built rustls configuration
//! (here with a client certificate from memory, as a hardware key would be
//! wired in) is used for every connection, and is not silently mixed with
//! the builder's own TLS settings.

use std::sync::Arc;

use ddi_client::{Auth, Backoff, Client, ErrorKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use testkit::ddi::{DdiServer, TenantConfig, TlsConfig, test_pki};

fn roots(pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots
            .add(cert.expect("test CA parses"))
            .expect("test CA usable");
    }
    roots
}

fn config(
    roots: rustls::RootCertStore,
    identity: Option<(&str, &str)>,
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("default versions")
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .expect("cert parses"),
                PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key parses"),
            )
            .expect("cert and key fit"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

#[tokio::test]
async fn a_custom_rustls_config_with_a_client_certificate_authenticates_the_device() {
    let server = DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::anonymous())
        .tls(TlsConfig {
            require_client_cert: true,
            ..TlsConfig::test_pki()
        })
        .start();
    server.register_controller("dev-1", None);
    let mut b = Client::builder(server.url(), "DEFAULT");
    b.backoff(Backoff::none()).rustls_config(config(
        roots(test_pki::CA_CERT),
        Some((test_pki::DEV1_CERT, test_pki::DEV1_KEY)),
    ));
    let client = b.build().unwrap();
    let base = client.controller("dev-1").unwrap().poll().await.unwrap();
    assert!(base.sleep().is_some(), "a real controller base: {base:?}");

    // The same server refuses a configuration without the client certificate.
    let mut b = Client::builder(server.url(), "DEFAULT");
    b.backoff(Backoff::none())
        .rustls_config(config(roots(test_pki::CA_CERT), None));
    let err = b
        .build()
        .unwrap()
        .controller("dev-1")
        .unwrap()
        .poll()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
}

#[tokio::test]
async fn a_config_that_does_not_trust_the_server_fails_the_handshake() {
    let server = DdiServer::builder().tls(TlsConfig::test_pki()).start();
    server.register_controller("dev-2", Some("tok"));
    let mut b = Client::builder(server.url(), "DEFAULT");
    b.backoff(Backoff::none())
        .auth(Auth::TargetToken("tok".into()))
        .rustls_config(config(roots(test_pki::DEV2_CERT), None));
    let err = b
        .build()
        .unwrap()
        .controller("dev-2")
        .unwrap()
        .poll()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:?}");
    assert!(server.total_requests() == 0, "no request got through");
}

#[test]
fn mixing_it_with_the_builders_tls_settings_is_a_configuration_error() {
    let tls = config(roots(test_pki::CA_CERT), None);
    let mut b = Client::builder("https://127.0.0.1:1", "DEFAULT");
    b.rustls_config(Arc::clone(&tls))
        .add_root_pem(test_pki::CA_CERT);
    assert_eq!(b.build().unwrap_err().kind(), ErrorKind::Config);
    let mut b = Client::builder("https://127.0.0.1:1", "DEFAULT");
    b.rustls_config(Arc::clone(&tls))
        .identity_pem(test_pki::DEV1_CERT, test_pki::DEV1_KEY);
    assert_eq!(b.build().unwrap_err().kind(), ErrorKind::Config);
    let mut b = Client::builder("https://127.0.0.1:1", "DEFAULT");
    b.rustls_config(tls);
    assert!(b.build().is_ok());
}
