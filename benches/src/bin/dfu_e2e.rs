//! A 1 MiB simulated end-to-end firmware update: server session, wire
//! frames both ways, device updater, simulated NOR flash and bootloader,
//! from the first status to the confirmed image. Prints the median time of
//! several runs, the throughput, and the process's peak memory.
//!
//! `cargo run --release -p benches --bin dfu_e2e [-- --mib 1 --runs 9]`

use std::time::{Duration, Instant};

use clap::Parser;
use dfu_protocol::server::Progress;
use dfu_protocol::sim;

/// Command-line options.
#[derive(Debug, Parser)]
struct Options {
    /// Image size in MiB.
    #[arg(long, default_value_t = 1)]
    mib: usize,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 9)]
    runs: usize,
}

fn main() -> Result<(), String> {
    let options = Options::parse();
    let len = options.mib << 20;
    let old: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let new: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8 ^ 0x3C).collect();
    // The two images are the input, not the update's cost: note the memory
    // already in use before the first run.
    let before = status_kib("VmRSS:");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..options.runs.max(1) {
        let start = Instant::now();
        let report =
            sim::end_to_end_update(&old, &new).map_err(|e| format!("update failed: {e}"))?;
        times.push(start.elapsed());
        if report.progress != Progress::UpToDate {
            return Err(format!("the device did not end up to date: {report:?}"));
        }
        last = Some(report);
    }
    times.sort();
    let median = times
        .get(times.len() / 2)
        .copied()
        .unwrap_or(Duration::ZERO);
    let report = last.ok_or("no run")?;
    println!(
        "{} MiB end-to-end update, {} runs",
        options.mib,
        times.len()
    );
    println!(
        "  median {:.1} ms ({:.0} MiB/s), fastest {:.1} ms",
        ms(median),
        options.mib as f64 / median.as_secs_f64(),
        ms(times[0])
    );
    println!(
        "  {} round trips, {} B to the device, {} B from it, {} reboot(s), {} page erases, {} B programmed",
        report.round_trips,
        report.bytes_to_device,
        report.bytes_from_device,
        report.reboots,
        report.erases,
        report.bytes_programmed
    );
    match (before, status_kib("VmHWM:")) {
        (Some(before), Some(peak)) => println!(
            "  peak memory (VmHWM) {:.1} MiB; {:.1} MiB of it in use before the first run (the two images), \
             so the update itself (simulated flash of both banks included) adds {:.1} MiB",
            mib(peak),
            mib(before),
            mib(peak.saturating_sub(before))
        ),
        _ => println!("  peak memory: /proc/self/status not readable"),
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A `/proc/self/status` figure (`VmRSS:`, `VmHWM:`), in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
