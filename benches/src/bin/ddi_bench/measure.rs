//! Running a child process with a stopwatch, and reading figures back.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Errors of the orchestrator: it only reports them.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A command for `program` without proxy settings, so that every client
/// (curl, reqwest in both crates) talks to the loopback server directly.
pub(crate) fn command(program: &Path) -> Command {
    let mut c = Command::new(program);
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        c.env_remove(var);
    }
    c
}

/// How long a child process took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Spawn to exit.
    pub(crate) wall: Duration,
    /// User plus system CPU time of the child and of the descendants it
    /// waited for (a shell pipeline counts all its stages), in seconds, at
    /// the kernel's clock-tick resolution (10 ms); `NaN` without procfs.
    pub(crate) cpu: f64,
}

/// Runs `cmd` to completion and returns its timing and standard output; a
/// non-zero exit is an error carrying its stderr.
pub(crate) fn run_timed(cmd: &mut Command) -> Result<(Timing, String), BoxError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let cpu_before = children_cpu_secs();
    let start = Instant::now();
    let out = cmd.output()?;
    let wall = start.elapsed();
    let cpu = children_cpu_secs()
        .zip(cpu_before)
        .map_or(f64::NAN, |(a, b)| a - b);
    if !out.status.success() {
        return Err(format!(
            "{:?} failed ({}): {}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok((Timing { wall, cpu }, String::from_utf8(out.stdout)?))
}

/// CPU seconds (user + system) of this process's waited-for children so far:
/// `cutime` and `cstime` of `/proc/self/stat`.
fn children_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let ticks = parse_children_ticks(&stat)?;
    Some(ticks as f64 / clock_ticks_per_sec())
}

/// `cutime + cstime` from a `/proc/<pid>/stat` line (fields 16 and 17,
/// counted after the parenthesised command name, which may hold spaces).
fn parse_children_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(13);
    let cutime: u64 = fields.next()?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    Some(cutime + cstime)
}

/// `getconf CLK_TCK` (USER_HZ), 100 where it cannot be asked.
fn clock_ticks_per_sec() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|t: &f64| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// The value of `key=value` in a line of `key=value` pairs.
pub(crate) fn field<'a>(line: &'a str, key: &str) -> Result<&'a str, BoxError> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .ok_or_else(|| format!("no {key}= in {line:?}").into())
}

/// [`field`] parsed as a number.
pub(crate) fn number(line: &str, key: &str) -> Result<f64, BoxError> {
    Ok(field(line, key)?.parse()?)
}

/// The median (mean of the middle two for an even count); `NaN` if empty.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let upper = v.get(n / 2).copied();
    let lower = n.checked_sub(1).and_then(|last| v.get(last / 2)).copied();
    match (lower, upper) {
        (Some(lo), Some(hi)) => f64::midpoint(lo, hi),
        _ => f64::NAN,
    }
}

/// The largest value; `NaN` if empty.
pub(crate) fn max(values: &[f64]) -> f64 {
    values.iter().copied().reduce(f64::max).unwrap_or(f64::NAN)
}

/// KiB to MiB.
pub(crate) fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert!(median(&[]).is_nan());
        assert_eq!(max(&[1.0, 5.0, 2.0]), 5.0);
    }

    #[test]
    fn fields() {
        let line = "bytes=1024 verified=Sha256 secs=0.5 vm_hwm_kib=9000";
        assert_eq!(field(line, "verified").unwrap(), "Sha256");
        assert_eq!(number(line, "secs").unwrap(), 0.5);
        assert!(field(line, "byte").is_err());
        assert!(number(line, "verified").is_err());
    }

    #[test]
    fn children_cpu_fields() {
        // pid (comm with ) and spaces) state ppid … utime stime cutime cstime …
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 250 7 0 0";
        assert_eq!(parse_children_ticks(stat), Some(257));
        assert_eq!(parse_children_ticks("42 (x) S 1 2"), None);
    }

    #[test]
    fn runs_and_times_a_process() {
        let busy = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo hi";
        let (timing, out) = run_timed(Command::new("sh").args(["-c", busy])).unwrap();
        assert_eq!(out.trim(), "hi");
        assert!(timing.wall > Duration::ZERO);
        assert!(timing.cpu > 0.0, "the busy loop used CPU: {timing:?}");
        assert!(run_timed(Command::new("sh").args(["-c", "exit 3"])).is_err());
    }
}
