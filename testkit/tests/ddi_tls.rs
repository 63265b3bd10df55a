//! HTTPS on the simulator: the test PKI, client-certificate authentication
//! with the CN as controller id, and refused handshakes.

use reqwest::blocking::Client;
use reqwest::{Certificate, Identity};
use testkit::ddi::{DdiServer, TenantConfig, TlsConfig, test_pki};

fn client(identity: Option<(&str, &str)>) -> Client {
    let mut builder = Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            Certificate::from_pem(test_pki::CA_CERT.as_bytes()).expect("the test CA parses"),
        );
    if let Some((cert, key)) = identity {
        builder = builder.identity(
            Identity::from_pem(format!("{cert}{key}").as_bytes())
                .expect("the test identity parses"),
        );
    }
    builder.build().expect("a TLS client")
}

fn cert_server(require: bool) -> DdiServer {
    let server = DdiServer::builder()
        .tenant(
            "DEFAULT",
            TenantConfig {
                client_certificate: true,
                ..TenantConfig::default()
            },
        )
        .tls(TlsConfig {
            require_client_cert: require,
            ..TlsConfig::test_pki()
        })
        .start();
    server.register_controller("dev-1", Some("tok"));
    server.register_controller("dev-2", None);
    server
}

#[test]
fn https_with_a_trusted_ca_and_a_target_token() {
    let server = DdiServer::builder().tls(TlsConfig::test_pki()).start();
    server.register_controller("dev-1", Some("tok"));
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let url = server.controller_url("dev-1");
    let r = client(None)
        .get(&url)
        .header("Authorization", "TargetToken tok")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().unwrap();
    let href = body["_links"]["configData"]["href"].as_str().unwrap();
    assert!(
        href.starts_with("https://"),
        "links keep the scheme: {href}"
    );
    // without the test CA the handshake fails
    let untrusted = Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .build()
        .unwrap();
    assert!(untrusted.get(&url).send().is_err());
}

#[test]
fn client_certificate_cn_authenticates_its_own_controller_only() {
    let server = cert_server(false);
    let dev1 = client(Some((test_pki::DEV1_CERT, test_pki::DEV1_KEY)));
    assert_eq!(
        dev1.get(server.controller_url("dev-1"))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        dev1.get(server.controller_url("dev-2"))
            .send()
            .unwrap()
            .status(),
        401
    );
    let dev2 = client(Some((test_pki::DEV2_CERT, test_pki::DEV2_KEY)));
    assert_eq!(
        dev2.get(server.controller_url("dev-2"))
            .send()
            .unwrap()
            .status(),
        200
    );
    // no certificate: other credentials still work, nothing else does
    let anonymous = client(None);
    assert_eq!(
        anonymous
            .get(server.controller_url("dev-1"))
            .send()
            .unwrap()
            .status(),
        401
    );
    let with_token = anonymous
        .get(server.controller_url("dev-1"))
        .header("Authorization", "TargetToken tok")
        .send()
        .unwrap();
    assert_eq!(with_token.status(), 200);
}

#[test]
fn required_client_certificate_refuses_the_handshake_without_one() {
    let server = cert_server(true);
    assert!(
        client(None)
            .get(server.controller_url("dev-1"))
            .send()
            .is_err()
    );
    let dev1 = client(Some((test_pki::DEV1_CERT, test_pki::DEV1_KEY)));
    assert_eq!(
        dev1.get(server.controller_url("dev-1"))
            .send()
            .unwrap()
            .status(),
        200
    );
}
