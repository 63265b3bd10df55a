//! Benchmarks of the fleet-update workspace.
//!
//! Criterion benchmarks live in `benches/`; whole-process comparisons (our
//! binaries against `curl | openssl`, the `hawkbit` crate, Kanto) have their
//! own binaries in `src/bin/`. This library holds only what they share:
//! reading criterion's results back so that every figure is reported as a
//! ratio against a baseline measured in the same run, and the exactly-once
//! verdict of the registry-sync throughput runs ([`sync_audit`]).
//!
//! Figures and the commands that reproduce them are in `BENCHMARKS.md` at the
//! workspace root.

pub mod sync_audit;

use std::fs;
use std::path::{Path, PathBuf};

/// The mean time per iteration, in nanoseconds, that criterion recorded for
/// `group/function` in its last run under `target_dir`.
pub fn criterion_mean_ns(target_dir: &Path, group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir(target_dir)
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("mean")?.get("point_estimate")?.as_f64()
}

fn criterion_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("criterion")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mean_criterion_recorded() {
        let tmp = tempdir();
        let dir = tmp.join("criterion/g/f/new");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("estimates.json"),
            r#"{"mean":{"point_estimate":123.5},"median":{}}"#,
        )
        .unwrap();
        assert_eq!(criterion_mean_ns(&tmp, "g", "f"), Some(123.5));
        assert_eq!(criterion_mean_ns(&tmp, "g", "missing"), None);
        fs::remove_dir_all(&tmp).unwrap();
    }

    fn tempdir() -> PathBuf {
        let p = std::env::temp_dir().join(format!("benches-test-{}", std::process::id()));
        fs::create_dir_all(&p).unwrap();
        p
    }
}
