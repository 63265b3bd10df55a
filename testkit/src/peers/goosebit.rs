//! goosebit (PyPI `goosebit`), a third-party hawkBit DDI server, on loopback.
//!
//! `scripts/test` installs it into `target/peers/goosebit-venv`; the variable
//! `FLEET_GOOSEBIT_VENV` points elsewhere. Each instance gets a throwaway
//! folder with its own SQLite database and artifacts, following
//! `../shared/peers/goosebit/NOTES.md`: settings file, `aerich upgrade` for the
//! schema, then `uvicorn goosebit:app` bound to 127.0.0.1.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{free_port, stop, wait_for_http};

/// The tenant every instance serves.
pub const TENANT: &str = "DEFAULT";

/// A running goosebit server, killed on drop.
#[derive(Debug)]
pub struct Goosebit {
    child: Option<Child>,
    port: u16,
    work: tempfile::TempDir,
}

impl Goosebit {
    /// Starts a server with a poll time of 1 second, under the skip rule.
    pub fn start() -> Option<Self> {
        crate::require("goosebit server", Self::try_start("00:00:01"))
    }

    fn try_start(poll_time: &str) -> Result<Self, String> {
        let venv = venv()?;
        let work = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let settings = write_settings(work.path(), &venv, poll_time)?;
        let migrate = Command::new(venv.join("bin/aerich"))
            .arg("upgrade")
            .current_dir(work.path())
            .env("GOOSEBIT_SETTINGS", &settings)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run aerich: {e}"))?;
        if !migrate.status.success() {
            return Err(format!(
                "aerich upgrade failed: {}",
                String::from_utf8_lossy(&migrate.stderr).trim()
            ));
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let log = fs::File::create(work.path().join("server.log"))
                .map_err(|e| format!("cannot create the server log: {e}"))?;
            let mut child = Command::new(venv.join("bin/uvicorn"))
                .args([
                    "goosebit:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                ])
                .current_dir(work.path())
                .env("GOOSEBIT_SETTINGS", &settings)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("cannot run uvicorn: {e}"))?;
            match wait_for_http(&mut child, port, "/", Duration::from_secs(30)) {
                Ok(()) => {
                    return Ok(Self {
                        child: Some(child),
                        port,
                        work,
                    });
                }
                Err(e) => {
                    stop(&mut child);
                    last_error = e;
                }
            }
        }
        Err(format!("goosebit did not start: {last_error}"))
    }

    /// The TCP port (at 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The DDI root for the tenant: `http://127.0.0.1:<port>/DEFAULT`.
    pub fn ddi_url(&self) -> String {
        format!("{}/{TENANT}", self.base_url())
    }

    /// The folder holding the database, artifacts and `server.log`.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// What the server wrote to standard error so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.work.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Goosebit {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }
}

/// The virtual environment goosebit is installed in.
pub(crate) fn venv() -> Result<PathBuf, String> {
    let path = std::env::var_os("FLEET_GOOSEBIT_VENV").map_or_else(
        || crate::vectors::workspace_root().join("target/peers/goosebit-venv"),
        PathBuf::from,
    );
    if path.join("bin/uvicorn").is_file() && path.join("bin/aerich").is_file() {
        Ok(path)
    } else {
        Err(format!(
            "goosebit is not installed in {} (scripts/test installs it, or set FLEET_GOOSEBIT_VENV)",
            path.display()
        ))
    }
}

fn write_settings(dir: &Path, venv: &Path, poll_time: &str) -> Result<PathBuf, String> {
    let site = site_packages(venv)?;
    let work = dir.display();
    let settings = dir.join("goosebit.yaml");
    let yaml = format!(
        "tenant: {TENANT}\n\
         poll_time: \"{poll_time}\"\n\
         db_uri: \"sqlite://{work}/db.sqlite3\"\n\
         artifacts_dir: \"{work}/artifacts\"\n\
         secret_key: \"fleet-update-tests\"\n\
         logging: {{version: 1, disable_existing_loggers: false, handlers: {{c: {{class: logging.StreamHandler}}}}, \
         root: {{level: INFO, handlers: [c]}}}}\n"
    );
    let pyproject = format!(
        "[tool.aerich]\n\
         tortoise_orm = \"goosebit.db.config.TORTOISE_CONF\"\n\
         location = \"{}\"\n\
         src_folder = \"./.\"\n",
        site.join("goosebit/db/migrations").display()
    );
    fs::write(&settings, yaml).map_err(|e| format!("cannot write settings: {e}"))?;
    fs::write(dir.join("pyproject.toml"), pyproject)
        .map_err(|e| format!("cannot write pyproject: {e}"))?;
    Ok(settings)
}

/// `<venv>/lib/python3.X/site-packages`, whatever the minor version.
fn site_packages(venv: &Path) -> Result<PathBuf, String> {
    let lib = venv.join("lib");
    fs::read_dir(&lib)
        .map_err(|e| format!("cannot list {}: {e}", lib.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages"))
        .find(|p| p.join("goosebit").is_dir())
        .ok_or_else(|| format!("no goosebit package under {}", lib.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_and_answers_ddi_polls() {
        let Some(server) = Goosebit::start() else {
            return;
        };
        // An unknown controller is auto-registered on its first poll.
        let status =
            super::super::process::http_status(server.port(), "/DEFAULT/controller/v1/smoke-1");
        assert_eq!(status, Some(200), "server log:\n{}", server.log());
    }
}
