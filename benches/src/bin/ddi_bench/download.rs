//! Benchmark 1: a verified download of one artifact, our downloader against
//! `curl -s URL | openssl dgst -sha256` from the same server, interleaved.

use std::path::Path;

use crate::measure::{BoxError, command, field, median, mib, number, run_timed};
use crate::server::{ServedArtifact, ServerInfo, ServerProcess};

/// The controller the artifact is deployed to.
const CONTROLLER: &str = "dl-big";

/// Runs the comparison and prints the figures.
pub(crate) fn run(bin_dir: &Path, bytes: u64, runs: usize) -> Result<(), BoxError> {
    check_tool("curl", "--version")?;
    check_tool("openssl", "version")?;
    let server = ServerProcess::start(bin_dir, &[format!("--artifact=big:{bytes}")])?;
    let info = &server.info;
    let artifact = info.artifact(CONTROLLER)?;
    println!(
        "download: {} MiB artifact, {runs} runs each, interleaved (ours: ddi-client to a sink writer, SHA-256 verified; baseline: curl -s | openssl dgst -sha256)",
        bytes >> 20
    );
    // one untimed run each: page cache, first connection, CPU frequency
    baseline(info, artifact)?;
    ours(bin_dir, info)?;
    let (mut base_secs, mut our_secs, mut our_hwm) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        // alternate who goes first, so a drift in machine load hits both
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_ours in order {
            if is_ours {
                let (secs, hwm) = ours(bin_dir, info)?;
                println!("  run {i}: ours     {secs:.3} s  peak {:.1} MiB", mib(hwm));
                our_secs.push(secs);
                our_hwm.push(hwm);
            } else {
                let secs = baseline(info, artifact)?;
                println!("  run {i}: baseline {secs:.3} s");
                base_secs.push(secs);
            }
        }
    }
    let (b, o) = (median(&base_secs), median(&our_secs));
    let rate = |s: f64| bytes as f64 / s / (1u64 << 20) as f64;
    let ratio = b / o;
    println!(
        "download: median baseline {b:.3} s ({:.0} MiB/s), ours {o:.3} s ({:.0} MiB/s), peak {:.1} MiB",
        rate(b),
        rate(o),
        mib(median(&our_hwm))
    );
    println!(
        "RESULT download ratio (baseline time / our time) = {ratio:.3}  goal >= 0.9: {}",
        if ratio >= 0.9 { "met" } else { "MISSED" }
    );
    Ok(())
}

fn check_tool(tool: &str, arg: &str) -> Result<(), BoxError> {
    run_timed(command(Path::new(tool)).arg(arg))
        .map(drop)
        .map_err(|e| {
            format!("{tool} is needed for the baseline (apt-get install {tool}): {e}").into()
        })
}

/// `curl | openssl` as one shell pipeline; checks the digest it prints.
fn baseline(info: &ServerInfo, artifact: &ServedArtifact) -> Result<f64, BoxError> {
    let (wall, out) = run_timed(
        command(Path::new("sh"))
            .args([
                "-c",
                r#"curl -s --fail -H "$DDI_AUTH" "$DDI_URL" | openssl dgst -sha256"#,
            ])
            .env(
                "DDI_AUTH",
                format!("Authorization: GatewayToken {}", info.token),
            )
            .env("DDI_URL", &artifact.url),
    )?;
    let digest = out.split_whitespace().last().unwrap_or_default();
    if digest != artifact.sha256 {
        return Err(format!("baseline digest {digest:?} is not the artifact's").into());
    }
    Ok(wall.as_secs_f64())
}

/// `ddi_ours download`: wall time and peak memory; checks it verified with SHA-256.
fn ours(bin_dir: &Path, info: &ServerInfo) -> Result<(f64, f64), BoxError> {
    download_once(bin_dir, info, CONTROLLER)
}

/// One `ddi_ours download` of the artifact deployed to `controller`.
pub(crate) fn download_once(
    bin_dir: &Path,
    info: &ServerInfo,
    controller: &str,
) -> Result<(f64, f64), BoxError> {
    let artifact = info.artifact(controller)?;
    let (wall, out) = run_timed(
        command(&bin_dir.join("ddi_ours"))
            .args(["--server", &info.server, "--tenant", &info.tenant])
            .args([
                "--token",
                &info.token,
                "download",
                "--controller",
                controller,
            ]),
    )?;
    let line = out.trim();
    if field(line, "verified")? != "Sha256" || number(line, "bytes")? != artifact.bytes as f64 {
        return Err(format!("ours did not download a SHA-256-verified artifact: {line}").into());
    }
    Ok((wall.as_secs_f64(), number(line, "vm_hwm_kib")?))
}
