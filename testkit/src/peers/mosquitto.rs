//! A Mosquitto broker (Debian package `mosquitto`) on loopback.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{free_port, stop, wait_for_port};

/// A running Mosquitto broker, killed on drop.
///
/// ```no_run
/// let Some(broker) = testkit::peers::Mosquitto::start() else { return };
/// let port = broker.port();
/// # let _ = port;
/// ```
#[derive(Debug)]
pub struct Mosquitto {
    child: Option<Child>,
    port: u16,
    program: PathBuf,
    config: PathBuf,
    _work: tempfile::TempDir,
}

/// Options that change the broker's behaviour, for benchmarks and fault tests.
#[derive(Debug, Clone, Default)]
pub struct MosquittoOptions {
    /// Sets `set_tcp_nodelay true` on the listener (Mosquitto's default is off).
    pub tcp_nodelay: bool,
    /// Makes the listener speak TLS only (MQTT over TLS, as on port 8883).
    pub tls: Option<MosquittoTls>,
}

/// TLS material for the broker's listener, PEM.
#[derive(Clone)]
pub struct MosquittoTls {
    /// The broker's certificate (chain).
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
    /// CAs whose client certificates are accepted.
    pub client_ca_pem: String,
    /// Refuse clients without a certificate from `client_ca_pem`.
    pub require_client_cert: bool,
}

impl MosquittoTls {
    /// [`crate::ddi::test_pki`]'s server certificate (valid for 127.0.0.1);
    /// client certificates from its CA, required or not.
    pub fn test_pki(require_client_cert: bool) -> Self {
        use crate::ddi::test_pki;
        Self {
            cert_pem: test_pki::SERVER_CERT.to_owned(),
            key_pem: test_pki::SERVER_KEY.to_owned(),
            client_ca_pem: test_pki::CA_CERT.to_owned(),
            require_client_cert,
        }
    }
}

impl std::fmt::Debug for MosquittoTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MosquittoTls")
            .field("require_client_cert", &self.require_client_cert)
            .finish_non_exhaustive()
    }
}

impl Mosquitto {
    /// Starts a broker with a stock configuration, under the skip rule.
    pub fn start() -> Option<Self> {
        Self::start_with(&MosquittoOptions::default())
    }

    /// Starts a broker with `options`, under the skip rule.
    pub fn start_with(options: &MosquittoOptions) -> Option<Self> {
        crate::require("mosquitto broker", Self::try_start(options))
    }

    fn try_start(options: &MosquittoOptions) -> Result<Self, String> {
        let program = find_program()?;
        let work = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let mut last_error = String::new();
        // A free port can be taken between probing and binding; try a few.
        for _ in 0..5 {
            let port = free_port();
            let config = write_config(work.path(), port, options)?;
            let mut child = spawn(&program, &config)?;
            match wait_for_port(&mut child, port, Duration::from_secs(10)) {
                Ok(()) => {
                    return Ok(Self {
                        child: Some(child),
                        port,
                        program,
                        config,
                        _work: work,
                    });
                }
                Err(e) => {
                    stop(&mut child);
                    last_error = e;
                }
            }
        }
        Err(format!("mosquitto did not start: {last_error}"))
    }

    /// The TCP port the broker listens on (at 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the broker, as a crash would; [`Mosquitto::restart`] brings it back
    /// on the same port.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    /// Starts the broker again on the same port and configuration.
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let mut child = spawn(&self.program, &self.config)?;
        wait_for_port(&mut child, self.port, Duration::from_secs(10))?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_program() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FLEET_MOSQUITTO") {
        return Ok(PathBuf::from(p));
    }
    let candidates = [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "mosquitto is not installed (apt-get install mosquitto, or set FLEET_MOSQUITTO)"
                .to_owned()
        })
}

fn write_config(dir: &Path, port: u16, options: &MosquittoOptions) -> Result<PathBuf, String> {
    let mut text = format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
    if options.tcp_nodelay {
        text.push_str("set_tcp_nodelay true\n");
    }
    if let Some(tls) = &options.tls {
        let write = |name: &str, pem: &str| {
            let path = dir.join(name);
            fs::write(&path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok::<_, String>(path)
        };
        let cert = write("server.pem", &tls.cert_pem)?;
        let key = write("server.key", &tls.key_pem)?;
        let ca = write("client-ca.pem", &tls.client_ca_pem)?;
        text.push_str(&format!(
            "certfile {}\nkeyfile {}\ncafile {}\nrequire_certificate {}\n",
            cert.display(),
            key.display(),
            ca.display(),
            tls.require_client_cert
        ));
    }
    let path = dir.join("mosquitto.conf");
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn spawn(program: &Path, config: &Path) -> Result<Child, String> {
    Command::new(program)
        .arg("-c")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn starts_restarts_and_stops() {
        let options = MosquittoOptions {
            tcp_nodelay: true,
            ..MosquittoOptions::default()
        };
        let Some(mut broker) = Mosquitto::start_with(&options) else {
            return;
        };
        let port = broker.port();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        broker.kill();
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "killed broker still accepts"
        );
        broker.restart().unwrap();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}
