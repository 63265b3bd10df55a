//! Running a child process with a stopwatch, and reading figures back.

use std::path::Path;
use std::process::{Command, Stdio};
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

/// Runs `cmd` to completion and returns its wall time (spawn to exit) and
/// standard output; a non-zero exit is an error carrying its stderr.
pub(crate) fn run_timed(cmd: &mut Command) -> Result<(Duration, String), BoxError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = cmd.output()?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{:?} failed ({}): {}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok((wall, String::from_utf8(out.stdout)?))
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
    fn runs_and_times_a_process() {
        let (wall, out) = run_timed(Command::new("sh").args(["-c", "echo hi"])).unwrap();
        assert_eq!(out.trim(), "hi");
        assert!(wall > Duration::ZERO);
        assert!(run_timed(Command::new("sh").args(["-c", "exit 3"])).is_err());
    }
}
