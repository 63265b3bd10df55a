//! The `ddi_server` child process: started with its arguments, read until
//! `ready`, stopped by closing its standard input.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};

use crate::measure::{BoxError, command};

/// An artifact the server deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServedArtifact {
    /// The controller it is deployed to.
    pub(crate) controller: String,
    /// Its size.
    pub(crate) bytes: u64,
    /// Its SHA-256 as the server computed it.
    pub(crate) sha256: String,
    /// Its download URL on the server origin (needs the gateway token).
    pub(crate) url: String,
}

/// What the server announced on its standard output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServerInfo {
    pub(crate) server: String,
    pub(crate) tenant: String,
    pub(crate) token: String,
    pub(crate) prefix: String,
    pub(crate) controllers: usize,
    pub(crate) artifacts: Vec<ServedArtifact>,
}

impl ServerInfo {
    /// Applies one announcement line; `Ok(true)` on `ready`.
    pub(crate) fn apply(&mut self, line: &str) -> Result<bool, BoxError> {
        let mut words = line.split_whitespace();
        let key = words.next().unwrap_or_default();
        let mut next = || words.next().ok_or_else(|| format!("short line {line:?}"));
        match key {
            "server" => self.server = next()?.to_owned(),
            "tenant" => self.tenant = next()?.to_owned(),
            "token" => self.token = next()?.to_owned(),
            "controllers" => {
                self.prefix = next()?.to_owned();
                self.controllers = next()?.parse()?;
            }
            "artifact" => {
                let controller = next()?.to_owned();
                let bytes = next()?.parse()?;
                let sha256 = next()?.to_owned();
                let url = next()?.to_owned();
                self.artifacts.push(ServedArtifact {
                    controller,
                    bytes,
                    sha256,
                    url,
                });
            }
            "ready" => return Ok(true),
            _ => return Err(format!("unexpected line from ddi_server: {line:?}").into()),
        }
        Ok(false)
    }

    /// The artifact deployed to `controller`.
    pub(crate) fn artifact(&self, controller: &str) -> Result<&ServedArtifact, BoxError> {
        self.artifacts
            .iter()
            .find(|a| a.controller == controller)
            .ok_or_else(|| format!("the server deployed nothing to {controller}").into())
    }
}

/// A running `ddi_server`; dropping it closes its stdin and waits for it.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub(crate) info: ServerInfo,
}

impl ServerProcess {
    /// Starts `bin_dir/ddi_server args…` and waits until it is ready.
    pub(crate) fn start(bin_dir: &Path, args: &[String]) -> Result<Self, BoxError> {
        let mut child = command(&bin_dir.join("ddi_server"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start ddi_server (build it first): {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("ddi_server has no stdout")?;
        let mut process = Self {
            child,
            stdin,
            info: ServerInfo::default(),
        };
        for line in BufReader::new(stdout).lines() {
            if process.info.apply(&line?)? {
                return Ok(process);
            }
        }
        Err("ddi_server exited before it was ready".into())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_announcement() {
        let mut info = ServerInfo::default();
        let lines = [
            "server http://127.0.0.1:4000",
            "tenant DEFAULT",
            "token gw",
            "controllers gw- 10000",
            "artifact dl-big 1073741824 abcd http://127.0.0.1:4000/x/big",
        ];
        for l in lines {
            assert!(!info.apply(l).unwrap());
        }
        assert!(info.apply("ready").unwrap());
        assert_eq!(info.server, "http://127.0.0.1:4000");
        assert_eq!((info.prefix.as_str(), info.controllers), ("gw-", 10_000));
        let a = info.artifact("dl-big").unwrap();
        assert_eq!((a.bytes, a.sha256.as_str()), (1 << 30, "abcd"));
        assert!(info.artifact("dl-small").is_err());
        assert!(info.apply("artifact dl-x 12").is_err());
        assert!(info.apply("bogus").is_err());
    }
}
