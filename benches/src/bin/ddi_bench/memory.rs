//! Benchmark 2: peak memory of our download of a small and a large artifact.

use std::path::Path;

use crate::download::ours;
use crate::measure::{BoxError, max, median, mib};
use crate::server::ServerProcess;

/// Runs the comparison and prints the figures.
pub(crate) fn run(bin_dir: &Path, small: u64, large: u64, runs: usize) -> Result<(), BoxError> {
    let server = ServerProcess::start(
        bin_dir,
        &[
            format!("--artifact=small:{small}"),
            format!("--artifact=large:{large}"),
        ],
    )?;
    let info = &server.info;
    println!(
        "memory: peak RSS (VmHWM) of ddi_ours download, {} MiB vs {} MiB, {runs} runs each",
        small >> 20,
        large >> 20
    );
    let (mut s, mut l) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let (_, hwm) = ours(bin_dir, info, "dl-small", None)?;
        s.push(hwm.unwrap_or(f64::NAN));
        let (_, hwm) = ours(bin_dir, info, "dl-large", None)?;
        l.push(hwm.unwrap_or(f64::NAN));
        println!(
            "  run {i}: {} MiB -> {:.2} MiB, {} MiB -> {:.2} MiB",
            small >> 20,
            mib(s.last().copied().unwrap_or_default()),
            large >> 20,
            mib(l.last().copied().unwrap_or_default())
        );
    }
    let (smax, lmax) = (max(&s), max(&l));
    let diff = mib((lmax - smax).abs());
    println!(
        "memory: median {:.2} MiB vs {:.2} MiB; max {:.2} MiB vs {:.2} MiB",
        mib(median(&s)),
        mib(median(&l)),
        mib(smax),
        mib(lmax)
    );
    let met = diff <= 2.0 && mib(smax.max(lmax)) < 32.0;
    println!(
        "RESULT memory peak {:.2} MiB ({} MiB) vs {:.2} MiB ({} MiB), difference {diff:.2} MiB  goal <= 2 MiB apart and < 32 MiB: {}",
        mib(smax),
        small >> 20,
        mib(lmax),
        large >> 20,
        if met { "met" } else { "MISSED" }
    );
    Ok(())
}
