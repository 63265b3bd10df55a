//! Orchestrates the DDI whole-process benchmarks and prints their figures,
//! each as a ratio against a baseline measured in the same run:
//!
//! - `download`: a verified download of a 1 GiB artifact by `ddi_ours`
//!   against `curl -s URL | openssl dgst -sha256`, interleaved;
//! - `memory`: the peak memory of `ddi_ours` downloading 64 MiB and 1 GiB;
//! - `gateway`: 10,000 controllers polled through one `ddi-client` pool
//!   against the `hawkbit` crate 0.7.2 doing the same polls.
//!
//! The server (`ddi_server`, testkit's simulator) and every client run as
//! separate processes, so each client's peak memory is its own. The sibling
//! binaries are looked up next to this one: build them all first
//! (`cargo build --release -p benches --bins`), or run
//! `benches/scripts/ddi.sh`, which does both.

mod download;
mod gateway;
mod measure;
mod memory;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::measure::BoxError;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "DDI whole-process benchmarks (see BENCHMARKS.md)")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verified download against `curl | openssl dgst -sha256`.
    Download {
        /// Artifact size in bytes.
        #[arg(long, default_value_t = 1 << 30)]
        bytes: u64,
        /// Timed runs per side.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Peak memory of a small and a large download.
    Memory {
        /// Small artifact size in bytes.
        #[arg(long, default_value_t = 64 << 20)]
        small: u64,
        /// Large artifact size in bytes.
        #[arg(long, default_value_t = 1 << 30)]
        large: u64,
        /// Runs per size.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Gateway polling against the `hawkbit` crate.
    Gateway {
        /// Controllers.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Polls in flight, for both clients.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Polls per controller in one run.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Runs per client.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ddi_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), BoxError> {
    let bin_dir = bin_dir()?;
    match args.command {
        Command::Download { bytes, runs } => download::run(&bin_dir, bytes, runs),
        Command::Memory { small, large, runs } => memory::run(&bin_dir, small, large, runs),
        Command::Gateway {
            count,
            concurrency,
            rounds,
            runs,
        } => gateway::run(
            &bin_dir,
            gateway::Load {
                count,
                concurrency,
                rounds,
            },
            runs,
        ),
    }
}

/// The directory of this executable, where cargo puts the sibling binaries.
fn bin_dir() -> Result<PathBuf, BoxError> {
    let exe = std::env::current_exe()?;
    Ok(exe
        .parent()
        .ok_or("the executable has no directory")?
        .to_path_buf())
}
