//! The process's peak resident set size, as the kernel counts it.
//!
//! Shared by the client binaries (`#[path]`-included), which print it at exit
//! so that each process reports its own peak, not the orchestrator's.

/// `VmHWM` from `/proc/self/status` in KiB: the peak resident set size of
/// this process so far. `None` where procfs is missing.
pub(crate) fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// Extracts `VmHWM:  1234 kB` from a `/proc/<pid>/status` text.
pub(crate) fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_peak_line() {
        let status = "Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(5120));
        assert_eq!(parse_vm_hwm("VmRSS: 1 kB\n"), None);
    }

    #[test]
    fn this_process_has_a_peak() {
        assert!(vm_hwm_kib().is_some_and(|k| k > 0));
    }
}
