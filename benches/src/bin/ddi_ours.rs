//! Our side of the DDI benchmarks: `ddi-client` doing what a device agent or
//! a gateway does, as a process of its own, printing one `key=value` line
//! that `ddi_bench` reads (including this process's peak memory).
//!
//! - `download`: poll the controller, fetch its deployment, and stream the
//!   artifact through the verified downloader (SHA-256, checked
//!   incrementally) into a sink writer (or into a directory with `--to-dir`).
//! - `poll`: gateway mode, one [`Client`] (one connection pool) polling
//!   `--count` controller ids `--rounds` times with at most `--concurrency`
//!   polls in flight.
//!
//! `download` runs on a current-thread runtime by default, as a small device
//! agent would: one transfer needs no second worker, and without the
//! hand-off between workers it uses less CPU; `--workers N` changes that
//! (`ddi_bench download` measures the 2-worker runtime too, for scale).

#[path = "ddi_shared/peak_memory.rs"]
mod peak_memory;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use ddi_client::{Auth, Client, Controller};
use futures_util::StreamExt;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "ddi-client side of the DDI benchmarks")]
struct Args {
    /// Server root, e.g. `http://127.0.0.1:PORT`.
    #[arg(long)]
    server: String,
    /// Tenant.
    #[arg(long, default_value = "DEFAULT")]
    tenant: String,
    /// Gateway token.
    #[arg(long)]
    token: String,
    /// Runtime worker threads; 0 is a current-thread runtime. Default: 0 for
    /// `download` (one device, one transfer), tokio's default multi-thread
    /// runtime for `poll` (as the `hawkbit` side uses).
    #[arg(long)]
    workers: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Downloads the one artifact deployed to a controller.
    Download {
        /// Controller id.
        #[arg(long)]
        controller: String,
        /// Write the verified file into this directory instead of a sink writer.
        #[arg(long)]
        to_dir: Option<PathBuf>,
    },
    /// Gateway polling.
    Poll {
        /// Controller id prefix.
        #[arg(long, default_value = "gw-")]
        prefix: String,
        /// Number of controllers.
        #[arg(long)]
        count: usize,
        /// Polls in flight at most.
        #[arg(long)]
        concurrency: usize,
        /// How many times each controller is polled.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// Poll without `If-None-Match` (always a full 200 document, the same
        /// work as a client without conditional polling).
        #[arg(long)]
        unconditional: bool,
        /// Idle connections the pool keeps (default: `--concurrency`, so
        /// every in-flight poll finds a warm connection next time).
        #[arg(long)]
        pool_idle: Option<usize>,
    },
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args = Args::parse();
    let workers = match (&args.command, args.workers) {
        (_, Some(n)) => Some(n),
        (Command::Download { .. }, None) => Some(0),
        (Command::Poll { .. }, None) => None,
    };
    let mut builder = match workers {
        Some(0) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ddi_ours: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(&args))
}

async fn run(args: &Args) -> ExitCode {
    let result = match &args.command {
        Command::Download { controller, to_dir } => {
            download(args, controller, to_dir.as_ref()).await
        }
        Command::Poll {
            prefix,
            count,
            concurrency,
            rounds,
            unconditional,
            pool_idle,
        } => {
            let shape = PollShape {
                count: *count,
                concurrency: (*concurrency).max(1),
                rounds: *rounds,
                unconditional: *unconditional,
                pool_idle: pool_idle.unwrap_or(*concurrency),
            };
            poll(args, prefix, shape).await
        }
    };
    match result {
        Ok(line) => {
            let hwm = peak_memory::vm_hwm_kib().unwrap_or(0);
            println!("{line} vm_hwm_kib={hwm}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ddi_ours: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn download(
    args: &Args,
    controller: &str,
    to_dir: Option<&PathBuf>,
) -> Result<String, BoxError> {
    let start = Instant::now();
    let client = Client::builder(&args.server, &args.tenant)
        .auth(Auth::GatewayToken(args.token.clone()))
        .no_proxy()
        .build()?;
    let device = client.controller(controller)?;
    let base = device.poll().await?;
    let link = base
        .links
        .deployment_base
        .ok_or("the controller has no deployment")?;
    let deployment = device
        .deployment_base(&link, ddi_client::HistoryRequest::Omit)
        .await?;
    let artifact = deployment
        .deployment
        .chunks
        .iter()
        .flat_map(|c| &c.artifacts)
        .next()
        .ok_or("the deployment has no artifact")?;
    let done = match to_dir {
        Some(dir) => device.download(artifact).to_file(dir).await?,
        None => {
            device
                .download(artifact)
                .to_writer(&mut tokio::io::sink())
                .await?
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let verified = done
        .verified_with
        .map_or_else(|| "none".to_owned(), |a| format!("{a:?}"));
    Ok(format!(
        "bytes={} verified={verified} attempts={} secs={secs:.4}",
        done.bytes, done.attempts
    ))
}

/// What `poll` does.
#[derive(Debug, Clone, Copy)]
struct PollShape {
    count: usize,
    concurrency: usize,
    rounds: usize,
    unconditional: bool,
    pool_idle: usize,
}

async fn poll(args: &Args, prefix: &str, shape: PollShape) -> Result<String, BoxError> {
    let PollShape {
        count,
        concurrency,
        rounds,
        unconditional,
        pool_idle,
    } = shape;
    let setup = Instant::now();
    let client = Client::builder(&args.server, &args.tenant)
        .auth(Auth::GatewayToken(args.token.clone()))
        .no_proxy()
        // by default one idle connection per in-flight poll, instead of
        // closing the surplus over the client's default of 32 after each burst
        .pool_idle_per_host(pool_idle)
        .build()?;
    let controllers = (0..count)
        .map(|i| client.controller(&format!("{prefix}{i}")))
        .collect::<Result<Vec<Controller>, _>>()?;
    let setup_secs = setup.elapsed().as_secs_f64();
    let mut round_secs = Vec::with_capacity(rounds);
    let mut errors = 0usize;
    let mut ok = 0usize;
    for _ in 0..rounds {
        let round = Instant::now();
        let mut results = futures_util::stream::iter(&controllers)
            .map(|c| async move {
                if unconditional {
                    c.poll_conditional(None).await.map(drop)
                } else {
                    c.poll().await.map(drop)
                }
            })
            .buffer_unordered(concurrency);
        while let Some(r) = results.next().await {
            match r {
                Ok(()) => ok += 1,
                Err(e) => {
                    if errors == 0 {
                        eprintln!("ddi_ours: first poll error: {e}");
                    }
                    errors += 1;
                }
            }
        }
        round_secs.push(round.elapsed().as_secs_f64());
    }
    let rounds_text = round_secs
        .iter()
        .map(|s| format!("{s:.4}"))
        .collect::<Vec<_>>()
        .join(",");
    Ok(format!(
        "polls={ok} errors={errors} setup_secs={setup_secs:.4} round_secs={rounds_text}"
    ))
}
