//! Benchmark 1: a verified download of one artifact, our downloader against
//! `curl -s URL | openssl dgst -sha256` from the same server, interleaved.
//!
//! Two more participants are measured in the same rotation for scale, not
//! as goals: ours on tokio's 2-worker runtime instead of a current-thread
//! one, and curl alone writing to `/dev/null` (no hashing at all).

use std::path::Path;

use crate::measure::{BoxError, Timing, command, field, median, mib, number, run_timed};
use crate::server::{ServedArtifact, ServerInfo, ServerProcess};

/// The controller the artifact is deployed to.
const CONTROLLER: &str = "dl-big";

/// Who downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// `ddi_ours download` (current-thread runtime).
    Ours,
    /// `curl -s | openssl dgst -sha256`: the baseline.
    Baseline,
    /// `ddi_ours --workers 2 download`.
    OursTwoWorkers,
    /// `curl -o /dev/null`.
    CurlAlone,
}

impl Who {
    const ALL: [Self; 4] = [
        Self::Ours,
        Self::Baseline,
        Self::OursTwoWorkers,
        Self::CurlAlone,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours (ddi-client, current-thread runtime)",
            Self::Baseline => "baseline (curl -s | openssl dgst -sha256)",
            Self::OursTwoWorkers => "ours on a 2-worker runtime (for scale)",
            Self::CurlAlone => "curl -o /dev/null, no hash (for scale)",
        }
    }
}

/// One timed download.
#[derive(Debug, Clone, Copy)]
struct Sample {
    who: Who,
    timing: Timing,
    /// Peak memory in KiB (ours only).
    hwm_kib: Option<f64>,
}

/// Runs the comparison and prints the figures.
pub(crate) fn run(bin_dir: &Path, bytes: u64, runs: usize) -> Result<(), BoxError> {
    check_tool("curl", "--version")?;
    check_tool("openssl", "version")?;
    let server = ServerProcess::start(bin_dir, &[format!("--artifact=big:{bytes}")])?;
    let info = &server.info;
    let artifact = info.artifact(CONTROLLER)?;
    println!(
        "download: {} MiB artifact, {runs} runs each, interleaved; ours streams through ddi-client's verified downloader (SHA-256) into a sink writer",
        bytes >> 20
    );
    // one untimed run each: page cache, first connection, CPU frequency
    for who in Who::ALL {
        once(bin_dir, info, artifact, who)?;
    }
    let mut samples = Vec::new();
    for i in 0..runs {
        // rotate who goes first, so a drift in machine load hits everyone
        for k in 0..Who::ALL.len() {
            let Some(&who) = Who::ALL.get((i + k) % Who::ALL.len()) else {
                continue;
            };
            let s = once(bin_dir, info, artifact, who)?;
            println!(
                "  run {i}: {:<44} {:.3} s, CPU {:.2} s{}",
                who.name(),
                s.timing.wall.as_secs_f64(),
                s.timing.cpu,
                s.hwm_kib
                    .map(|k| format!(", peak {:.1} MiB", mib(k)))
                    .unwrap_or_default()
            );
            samples.push(s);
        }
    }
    let med = |who: Who, f: fn(&Sample) -> f64| {
        let xs: Vec<f64> = samples.iter().filter(|s| s.who == who).map(f).collect();
        median(&xs)
    };
    let wall = |s: &Sample| s.timing.wall.as_secs_f64();
    let cpu = |s: &Sample| s.timing.cpu;
    let rate = |secs: f64| bytes as f64 / secs / f64::from(1u32 << 20);
    println!("download: medians");
    for who in Who::ALL {
        println!(
            "  {:<44} {:.3} s ({:.0} MiB/s), CPU {:.2} s",
            who.name(),
            med(who, wall),
            rate(med(who, wall)),
            med(who, cpu)
        );
    }
    let ratio = med(Who::Baseline, wall) / med(Who::Ours, wall);
    println!(
        "RESULT download ratio (baseline time / our time) = {ratio:.3}  goal >= 0.9: {}; CPU ratio (baseline CPU / our CPU) = {:.2}; our peak {:.1} MiB",
        if ratio >= 0.9 { "met" } else { "MISSED" },
        med(Who::Baseline, cpu) / med(Who::Ours, cpu),
        mib(med(Who::Ours, |s| s.hwm_kib.unwrap_or(f64::NAN)))
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

fn once(
    bin_dir: &Path,
    info: &ServerInfo,
    artifact: &ServedArtifact,
    who: Who,
) -> Result<Sample, BoxError> {
    let (timing, hwm_kib) = match who {
        Who::Ours => ours(bin_dir, info, CONTROLLER, None)?,
        Who::OursTwoWorkers => ours(bin_dir, info, CONTROLLER, Some(2))?,
        Who::Baseline => (baseline(info, artifact)?, None),
        Who::CurlAlone => (curl_alone(info, artifact)?, None),
    };
    Ok(Sample {
        who,
        timing,
        hwm_kib,
    })
}

fn auth_header(info: &ServerInfo) -> String {
    format!("Authorization: GatewayToken {}", info.token)
}

/// `curl | openssl` as one shell pipeline; checks the digest it prints.
fn baseline(info: &ServerInfo, artifact: &ServedArtifact) -> Result<Timing, BoxError> {
    let (timing, out) = run_timed(
        command(Path::new("sh"))
            .args([
                "-c",
                r#"curl -s --fail -H "$DDI_AUTH" "$DDI_URL" | openssl dgst -sha256"#,
            ])
            .env("DDI_AUTH", auth_header(info))
            .env("DDI_URL", &artifact.url),
    )?;
    let digest = out.split_whitespace().last().unwrap_or_default();
    if digest != artifact.sha256 {
        return Err(format!("baseline digest {digest:?} is not the artifact's").into());
    }
    Ok(timing)
}

/// `curl -o /dev/null`: what the server and the loopback deliver without
/// any hashing.
fn curl_alone(info: &ServerInfo, artifact: &ServedArtifact) -> Result<Timing, BoxError> {
    let (timing, _) = run_timed(
        command(Path::new("curl"))
            .args(["-s", "--fail", "-o", "/dev/null", "-H"])
            .arg(auth_header(info))
            .arg(&artifact.url),
    )?;
    Ok(timing)
}

/// One `ddi_ours download` of the artifact deployed to `controller`: its
/// timing and peak memory (KiB); checks it verified with SHA-256.
pub(crate) fn ours(
    bin_dir: &Path,
    info: &ServerInfo,
    controller: &str,
    workers: Option<usize>,
) -> Result<(Timing, Option<f64>), BoxError> {
    let artifact = info.artifact(controller)?;
    let mut cmd = command(&bin_dir.join("ddi_ours"));
    cmd.args(["--server", &info.server, "--tenant", &info.tenant])
        .args(["--token", &info.token]);
    if let Some(n) = workers {
        cmd.arg(format!("--workers={n}"));
    }
    cmd.args(["download", "--controller", controller]);
    let (timing, out) = run_timed(&mut cmd)?;
    let line = out.trim();
    if field(line, "verified")? != "Sha256" || number(line, "bytes")? != artifact.bytes as f64 {
        return Err(format!("ours did not download a SHA-256-verified artifact: {line}").into());
    }
    Ok((timing, Some(number(line, "vm_hwm_kib")?)))
}
