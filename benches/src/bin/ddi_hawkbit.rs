//! The baseline of the gateway polling benchmark: the `hawkbit` crate 0.7.2
//! polling `--count` controllers `--rounds` times with at most
//! `--concurrency` polls in flight, as a process of its own, printing the
//! same `key=value` line as `ddi_ours poll`.
//!
//! That crate's `Client` is bound to one controller id and builds its own
//! `reqwest::Client` (its own connection pool) in `Client::new`, so a
//! gateway holds one `Client` per controller; it does support the gateway
//! token, which both sides use.

#[path = "ddi_shared/peak_memory.rs"]
mod peak_memory;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use futures_util::StreamExt;
use hawkbit::ddi::{Client, ClientAuthorization};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "hawkbit 0.7.2 side of the gateway polling benchmark")]
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
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match poll(&args).await {
        Ok(line) => {
            let hwm = peak_memory::vm_hwm_kib().unwrap_or(0);
            println!("{line} vm_hwm_kib={hwm}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ddi_hawkbit: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn poll(args: &Args) -> Result<String, BoxError> {
    let concurrency = args.concurrency.max(1);
    let setup = Instant::now();
    let clients = (0..args.count)
        .map(|i| {
            Client::new(
                &args.server,
                &args.tenant,
                &format!("{}{i}", args.prefix),
                ClientAuthorization::GatewayToken(args.token.clone()),
                None,
                None,
                None,
            )
        })
        .collect::<Result<Vec<Client>, _>>()?;
    let setup_secs = setup.elapsed().as_secs_f64();
    let mut round_secs = Vec::with_capacity(args.rounds);
    let mut errors = 0usize;
    let mut ok = 0usize;
    for _ in 0..args.rounds {
        let round = Instant::now();
        let mut results = futures_util::stream::iter(&clients)
            .map(|c| async move {
                let reply = c.poll().await?;
                // the same decoding work as ours: the polling interval
                reply.polling_sleep().map(drop)
            })
            .buffer_unordered(concurrency);
        while let Some(r) = results.next().await {
            match r {
                Ok(()) => ok += 1,
                Err(e) => {
                    if errors == 0 {
                        eprintln!("ddi_hawkbit: first poll error: {e}");
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
