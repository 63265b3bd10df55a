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
        let Some(mut broker) = Mosquitto::start_with(&MosquittoOptions { tcp_nodelay: true })
        else {
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
