//! A PostgreSQL server (Debian package `postgresql`) on loopback for tests.
//!
//! Each [`Postgres`] is its own cluster: `initdb` into a throwaway folder,
//! then `postgres` listening on `127.0.0.1` on a free port only (its Unix
//! socket in the same folder), trust authentication for the superuser
//! `postgres`, `fsync` and `synchronous_commit` on so a committed transaction
//! survives [`Postgres::kill`]. PostgreSQL refuses to run as root: when the
//! tests run as root, the server runs as the `postgres` system user the
//! Debian package creates (through `setpriv`), and the folder is handed to it.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::process::{free_port, stop, wait_for_port};

/// The superuser and database every test server has.
const USER: &str = "postgres";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running PostgreSQL server, killed (with its backends) on drop.
///
/// ```no_run
/// let Some(pg) = testkit::peers::Postgres::start() else { return };
/// // postgresql://postgres@127.0.0.1:PORT/postgres, trust authentication
/// let url = pg.url();
/// # let _ = url;
/// ```
#[derive(Debug)]
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    run_as: Option<(u32, u32)>,
    work: tempfile::TempDir,
}

impl Postgres {
    /// Creates and starts a fresh cluster, under the skip rule.
    pub fn start() -> Option<Self> {
        crate::require("postgresql server", Self::try_start())
    }

    fn try_start() -> Result<Self, String> {
        let bin = find_bin()?;
        let work = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let run_as = run_as(work.path())?;
        let data = work.path().join("data");
        let log = work.path().join("postgres.log");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(work.path(), Some(uid), Some(gid))
                .map_err(|e| format!("cannot hand the folder to the postgres user: {e}"))?;
        }
        initdb(&bin, &data, work.path(), run_as)?;
        let mut server = Self {
            child: None,
            port: 0,
            bin,
            data,
            log,
            run_as,
            work,
        };
        let mut last_error = String::new();
        // A free port can be taken between probing and binding; try a few.
        for _ in 0..5 {
            server.port = free_port();
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(format!(
            "postgres did not start: {last_error}\n{}",
            server.log()
        ))
    }

    /// The TCP port the server listens on (at 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host to connect to: always `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The superuser name (trust authentication, no password).
    pub fn user(&self) -> &'static str {
        USER
    }

    /// The database that always exists.
    pub fn database(&self) -> &'static str {
        USER
    }

    /// A connection URL: `postgresql://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{USER}@{}:{}/{}",
            self.host(),
            self.port,
            self.database()
        )
    }

    /// A key-value connection string (`host=... port=... user=... dbname=...`).
    pub fn conn_str(&self) -> String {
        format!(
            "host={} port={} user={USER} dbname={}",
            self.host(),
            self.port,
            self.database()
        )
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the postmaster and every backend at once with SIGKILL, as a
    /// machine crash or the OOM killer would; committed transactions survive
    /// and [`Postgres::restart`] brings the server back on the same port
    /// after crash recovery.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_server(child.id());
            stop(&mut child);
        }
    }

    /// Starts the server again on the same port and data (crash recovery
    /// runs if it was killed).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.launch() {
                Ok(()) => return Ok(()),
                // Backends of the killed server may take a moment to go, and
                // the port can linger: retry until the deadline.
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("postgres did not restart: {e}\n{}", self.log()));
                }
                Err(_) => thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn launch(&mut self) -> Result<(), String> {
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(&self.data)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.work.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .args(["-c", "max_connections=50", "-c", "shared_buffers=16MB"])
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("cannot open {}: {e}", self.log.display()))?;
        cmd.stderr(log);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run postgres: {e}"))?;
        let ready = wait_for_port(&mut child, self.port, START_TIMEOUT)
            .and_then(|()| wait_for_sessions(&mut child, self.port, START_TIMEOUT));
        match ready {
            Ok(()) => {
                self.child = Some(child);
                Ok(())
            }
            Err(e) => {
                stop(&mut child);
                Err(e)
            }
        }
    }

    /// A command for one of the server's programs, as the user that may run it.
    fn command(&self, program: &str) -> Command {
        command(&self.bin, program, self.work.path(), self.run_as)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.kill();
    }
}

/// SIGKILLs the postmaster `pid` and all its children at once. Every
/// backend and auxiliary process is its own process-group leader (postgres
/// calls `setsid` in each child), so killing the group is not enough: the
/// postmaster is frozen first so it forks no new child, then its children
/// are read from `/proc` and killed together with it.
fn kill_server(pid: u32) {
    // The shell's own `kill` builtin: a bare Debian has no kill program
    // unless procps is installed.
    let signal = |sig: &str, pids: &[u32]| {
        let _ = Command::new("sh")
            .args(["-c", "kill -s \"$0\" \"$@\"", sig])
            .args(pids.iter().map(u32::to_string))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    signal("STOP", &[pid]);
    let mut all = children_of(pid);
    all.push(pid);
    signal("KILL", &all);
}

/// The processes whose parent is `parent`, from `/proc/<pid>/stat`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(e.path().join("stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let (_, rest) = stat.rsplit_once(')')?;
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == parent).then_some(pid)
        })
        .collect()
}

fn command(bin: &Path, program: &str, dir: &Path, run_as: Option<(u32, u32)>) -> Command {
    let path = bin.join(program);
    let mut cmd = match run_as {
        // setpriv execs the program, so the child's pid is the server's.
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(path);
            c
        }
        None => Command::new(path),
    };
    cmd.current_dir(dir).env("LC_ALL", "C").env_remove("PGDATA");
    cmd
}

fn initdb(bin: &Path, data: &Path, dir: &Path, run_as: Option<(u32, u32)>) -> Result<(), String> {
    let out = command(bin, "initdb", dir, run_as)
        .arg("-D")
        .arg(data)
        .args(["-U", USER, "-A", "trust", "-E", "UTF8", "--no-locale"])
        // Only initdb's own final sync is skipped (a throwaway cluster); the
        // server itself runs with fsync on.
        .arg("--no-sync")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "initdb failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `None` when the server can run as the current user; the `postgres`
/// user's ids when we are root.
fn run_as(dir: &Path) -> Result<Option<(u32, u32)>, String> {
    let owner = fs::metadata(dir)
        .map_err(|e| format!("cannot stat {}: {e}", dir.display()))?
        .uid();
    if owner != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some(USER)).then_some(())?;
            let uid = fields.nth(1)?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            Some(Some((uid, gid)))
        })
        .ok_or_else(|| {
            "running as root and there is no `postgres` system user \
             (apt-get install postgresql creates it)"
                .to_owned()
        })
}

/// The folder holding `initdb` and `postgres`: `$FLEET_POSTGRES_BIN`, or the
/// newest `/usr/lib/postgresql/<major>/bin`.
fn find_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FLEET_POSTGRES_BIN") {
        return Ok(PathBuf::from(p));
    }
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("postgres").is_file() && bin.join("initdb").is_file()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "postgresql is not installed (apt-get install postgresql, or set FLEET_POSTGRES_BIN)"
            .to_owned()
    })
}

/// Waits until the server authenticates a session: it accepts TCP
/// connections while it still refuses sessions ("the database system is
/// starting up", during crash recovery).
fn wait_for_sessions(child: &mut Child, port: u16, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited with {status} while starting"));
        }
        if accepts_session(port) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("refused sessions on port {port} for {timeout:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a protocol 3.0 startup message and reports whether the server
/// answered with an authentication request (`R`) rather than an error (`E`).
fn accepts_session(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut body = Vec::new();
    body.extend_from_slice(&196_608_u32.to_be_bytes());
    for (k, v) in [("user", USER), ("database", USER)] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let len = u32::try_from(body.len() + 4).unwrap_or(u32::MAX);
    let mut msg = len.to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    if stream.write_all(&msg).is_err() {
        return false;
    }
    let mut tag = [0_u8; 1];
    let ok = stream.read_exact(&mut tag).is_ok() && tag[0] == b'R';
    // Terminate, so the server does not log an unexpected EOF.
    let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_killed_and_restarted_on_the_same_port() {
        let Some(mut pg) = Postgres::start() else {
            return;
        };
        let port = pg.port();
        assert!(accepts_session(port), "{}", pg.log());
        assert_eq!(
            pg.url(),
            format!("postgresql://postgres@127.0.0.1:{port}/postgres")
        );
        let postmaster = pg.child.as_ref().map(Child::id).unwrap();
        let children = children_of(postmaster);
        assert!(children.len() >= 3, "no server processes: {children:?}");
        pg.kill();
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "killed server still accepts"
        );
        // No backend or auxiliary process outlives the kill (a dying process
        // can still be listed for a moment, as a zombie of init).
        let alive = |pid: &u32| {
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
            })
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while children.iter().any(alive) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !children.iter().any(alive),
            "server processes outlived the kill"
        );
        pg.restart().unwrap();
        assert_eq!(pg.port(), port);
        assert!(accepts_session(port), "{}", pg.log());
    }

    #[test]
    fn two_servers_are_independent() {
        let (Some(a), Some(b)) = (Postgres::start(), Postgres::start()) else {
            return;
        };
        assert_ne!(a.port(), b.port());
        let port = a.port();
        drop(a);
        assert!(!accepts_session(port));
        assert!(accepts_session(b.port()));
    }
}
