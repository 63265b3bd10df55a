//! Benchmark 3: gateway polling of many controllers, our one-pool client
//! against the `hawkbit` crate 0.7.2 (one client per controller), same
//! server process, same concurrency, interleaved.

use std::path::Path;

use crate::measure::{BoxError, command, field, median, mib, number, run_timed};
use crate::server::{ServerInfo, ServerProcess};

/// The three clients compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `ddi_ours poll`: conditional polls (`If-None-Match`, 304 after round 1).
    Ours,
    /// `ddi_ours poll --unconditional`: a full 200 document every time.
    OursUnconditional,
    /// `ddi_hawkbit`: the `hawkbit` crate.
    Hawkbit,
}

impl Variant {
    const ALL: [Self; 3] = [Self::OursUnconditional, Self::Hawkbit, Self::Ours];

    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours (conditional, 304 after round 1)",
            Self::OursUnconditional => "ours (unconditional, always 200)",
            Self::Hawkbit => "hawkbit 0.7.2",
        }
    }
}

/// The shape of one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) count: usize,
    pub(crate) concurrency: usize,
    pub(crate) rounds: usize,
}

/// What one client process reported.
#[derive(Debug, Clone, Default)]
struct Sample {
    wall: f64,
    /// Whole-process CPU seconds (setup included).
    cpu: f64,
    setup: f64,
    first_round_rate: f64,
    later_rounds_rate: f64,
    all_rounds_rate: f64,
    hwm_kib: f64,
}

/// Runs the comparison and prints the figures.
pub(crate) fn run(bin_dir: &Path, load: Load, runs: usize) -> Result<(), BoxError> {
    let server = ServerProcess::start(
        bin_dir,
        &[
            format!("--controllers={}", load.count),
            "--prefix=gw-".to_owned(),
        ],
    )?;
    let info = &server.info;
    println!(
        "gateway: {} controllers x {} rounds, {} polls in flight, gateway token, {runs} runs per client, interleaved",
        load.count, load.rounds, load.concurrency
    );
    let mut samples: Vec<(Variant, Sample)> = Vec::new();
    for i in 0..runs {
        for k in 0..Variant::ALL.len() {
            let Some(&variant) = Variant::ALL.get((i + k) % Variant::ALL.len()) else {
                continue;
            };
            let s = run_one(bin_dir, info, load, variant)?;
            println!(
                "  run {i}: {:<38} setup {:.3} s, round 1 {:.0}/s, later rounds {:.0}/s, peak {:.1} MiB, process {:.2} s, CPU {:.2} s",
                variant.name(),
                s.setup,
                s.first_round_rate,
                s.later_rounds_rate,
                mib(s.hwm_kib),
                s.wall,
                s.cpu
            );
            samples.push((variant, s));
        }
    }
    let med = |v: Variant, f: fn(&Sample) -> f64| {
        let xs: Vec<f64> = samples
            .iter()
            .filter(|(w, _)| *w == v)
            .map(|(_, s)| f(s))
            .collect();
        median(&xs)
    };
    println!("gateway: medians");
    for v in Variant::ALL {
        println!(
            "  {:<38} polls/s all rounds {:.0} (round 1 {:.0}, later {:.0}), setup {:.3} s, peak {:.1} MiB, process {:.2} s, CPU {:.2} s",
            v.name(),
            med(v, |s| s.all_rounds_rate),
            med(v, |s| s.first_round_rate),
            med(v, |s| s.later_rounds_rate),
            med(v, |s| s.setup),
            mib(med(v, |s| s.hwm_kib)),
            med(v, |s| s.wall),
            med(v, |s| s.cpu)
        );
    }
    let hb_rate = med(Variant::Hawkbit, |s| s.all_rounds_rate);
    let hb_mem = med(Variant::Hawkbit, |s| s.hwm_kib);
    for v in [Variant::OursUnconditional, Variant::Ours] {
        println!(
            "RESULT gateway {}: polls/s ratio (ours / hawkbit) = {:.2}, round-1 ratio = {:.2}, peak memory ratio (ours / hawkbit) = {:.3} ({:.1} MiB vs {:.1} MiB)",
            v.name(),
            med(v, |s| s.all_rounds_rate) / hb_rate,
            med(v, |s| s.first_round_rate) / med(Variant::Hawkbit, |s| s.first_round_rate),
            med(v, |s| s.hwm_kib) / hb_mem,
            mib(med(v, |s| s.hwm_kib)),
            mib(hb_mem)
        );
    }
    Ok(())
}

fn run_one(
    bin_dir: &Path,
    info: &ServerInfo,
    load: Load,
    variant: Variant,
) -> Result<Sample, BoxError> {
    let common = [
        "--server".to_owned(),
        info.server.clone(),
        "--tenant".to_owned(),
        info.tenant.clone(),
        "--token".to_owned(),
        info.token.clone(),
    ];
    let shape = [
        "--prefix".to_owned(),
        info.prefix.clone(),
        "--count".to_owned(),
        load.count.to_string(),
        "--concurrency".to_owned(),
        load.concurrency.to_string(),
        "--rounds".to_owned(),
        load.rounds.to_string(),
    ];
    let mut cmd = match variant {
        Variant::Hawkbit => command(&bin_dir.join("ddi_hawkbit")),
        Variant::Ours | Variant::OursUnconditional => {
            let mut c = command(&bin_dir.join("ddi_ours"));
            c.args(&common).arg("poll");
            c
        }
    };
    if variant == Variant::Hawkbit {
        cmd.args(&common);
    }
    cmd.args(&shape);
    if variant == Variant::OursUnconditional {
        cmd.arg("--unconditional");
    }
    let (timing, out) = run_timed(&mut cmd)?;
    let line = out.trim();
    let expected = load.count * load.rounds;
    if number(line, "errors")? != 0.0 || number(line, "polls")? != expected as f64 {
        return Err(format!(
            "{} did not poll {expected} times cleanly: {line}",
            variant.name()
        )
        .into());
    }
    let rounds: Vec<f64> = field(line, "round_secs")?
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let count = load.count as f64;
    let first = rounds.first().copied().unwrap_or(f64::NAN);
    let later: f64 = rounds.iter().skip(1).sum();
    let all: f64 = rounds.iter().sum();
    Ok(Sample {
        wall: timing.wall.as_secs_f64(),
        cpu: timing.cpu,
        setup: number(line, "setup_secs")?,
        first_round_rate: count / first,
        later_rounds_rate: count * rounds.len().saturating_sub(1) as f64 / later,
        all_rounds_rate: count * rounds.len() as f64 / all,
        hwm_kib: number(line, "vm_hwm_kib")?,
    })
}
