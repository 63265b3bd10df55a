//! TLS configuration against `openssl s_server` on loopback, with a
//! throwaway PKI: extra or replacing roots, and a client identity from PEM
//! for a server that requires one (mTLS).
//!
//! The server answers every request with an HTML status page, so a request
//! that got through the TLS handshake ends in a decode error, while a failed
//! handshake is a connect error.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ddi_client::{Client, ClientBuilder, ErrorKind};

struct Pki {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("openssl not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Pki {
    fn create() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=ddi-test-ca",
        ]);
        openssl(d, &ca)?;
        for (name, cn, usage, san) in [
            (
                "srv",
                "127.0.0.1",
                "serverAuth",
                "subjectAltName=IP:127.0.0.1\n",
            ),
            ("cli", "dev-1", "clientAuth", ""),
        ] {
            let mut req = vec!["req"];
            req.extend(ec);
            let (key, csr, pem, ext) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
                format!("{name}.ext"),
            );
            let subj = format!("/CN={cn}");
            req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            openssl(d, &req)?;
            std::fs::write(
                d.join(&ext),
                format!("{san}basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage={usage}\n"),
            )
            .map_err(|e| e.to_string())?;
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    "2",
                    "-extfile",
                    &ext,
                ],
            )?;
        }
        Ok(Self { dir })
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }
}

/// `openssl s_server`, killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(pki: &Pki, require_client_cert: bool) -> TlsServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args = vec![
        "s_server".to_owned(),
        "-accept".into(),
        format!("127.0.0.1:{port}"),
        "-cert".into(),
        "srv.pem".into(),
        "-key".into(),
        "srv.key".into(),
        "-www".into(),
        "-quiet".into(),
    ];
    if require_client_cert {
        args.extend([
            "-Verify".into(),
            "1".into(),
            "-CAfile".into(),
            "ca.pem".into(),
        ]);
    }
    let child = Command::new("openssl")
        .args(&args)
        .current_dir(pki.dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    TlsServer { child, port }
}

async fn outcome(b: &ClientBuilder) -> ErrorKind {
    let c = b.build().unwrap().controller("dev-1").unwrap();
    c.poll().await.unwrap_err().kind()
}

fn builder(port: u16) -> ClientBuilder {
    let mut b = Client::builder(format!("https://127.0.0.1:{port}"), "DEFAULT");
    b.backoff(ddi_client::Backoff::none())
        .request_timeout(Duration::from_secs(10));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_roots_and_client_identity() {
    let Some(pki) = testkit::require("openssl command", Pki::create()) else {
        return;
    };

    let server = start_server(&pki, false);
    // Unknown CA: the handshake fails.
    assert_eq!(outcome(&builder(server.port)).await, ErrorKind::Connect);
    // Added root: the request gets through (the HTML page is no DDI document).
    let mut b = builder(server.port);
    b.add_root_pem(pki.read("ca.pem"));
    assert_eq!(outcome(&b).await, ErrorKind::Decode);
    // Replacing the built-in roots with the private CA works too.
    b.replace_roots(true);
    assert_eq!(outcome(&b).await, ErrorKind::Decode);
    drop(server);

    let server = start_server(&pki, true);
    let mut b = builder(server.port);
    b.add_root_pem(pki.read("ca.pem"));
    // mTLS required, no identity: refused.
    assert_ne!(outcome(&b).await, ErrorKind::Decode);
    // With the client certificate from PEM in memory: accepted.
    b.identity_pem(pki.read("cli.pem"), pki.read("cli.key"));
    assert_eq!(outcome(&b).await, ErrorKind::Decode);
}
