//! A hawkBit device agent for a real server:
//!
//! ```sh
//! cargo run -p examples --bin ddi-agent -- \
//!     --url https://hawkbit.example.com --tenant DEFAULT \
//!     --controller device-42 --token <target token> --slot /var/lib/fleet/slot-b
//! ```
//!
//! It runs `ddi-client`'s update loop: polls as the server suggests,
//! downloads and verifies artifacts, copies them into `--slot`, reports the
//! result, and resumes an unfinished action after a restart (its state is in
//! `--work-dir`). Stop it with Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ddi_client::agent::Agent;
use ddi_client::{Auth, Client};
use examples::slot_installer::SlotInstaller;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "hawkBit DDI device agent")]
struct Options {
    /// The server's base URL, e.g. https://hawkbit.example.com.
    #[arg(long)]
    url: String,
    /// The tenant.
    #[arg(long, default_value = "DEFAULT")]
    tenant: String,
    /// This device's controller id.
    #[arg(long)]
    controller: String,
    /// The device's target token (omit for servers without authentication).
    #[arg(long, conflicts_with = "gateway_token")]
    token: Option<String>,
    /// A tenant-wide gateway token instead of a target token.
    #[arg(long)]
    gateway_token: Option<String>,
    /// Where downloads and the agent's state are kept.
    #[arg(long, default_value = "ddi-agent-work")]
    work_dir: PathBuf,
    /// Where verified artifacts are installed.
    #[arg(long, default_value = "ddi-agent-slot")]
    slot: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    examples::logging::init("info");
    let auth = match (options.token.clone(), options.gateway_token.clone()) {
        (Some(t), _) => Auth::TargetToken(t),
        (None, Some(g)) => Auth::GatewayToken(g),
        (None, None) => Auth::None,
    };
    let controller = match Client::builder(options.url.clone(), options.tenant.clone())
        .auth(auth)
        .build()
        .and_then(|client| client.controller(&options.controller))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ddi-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&options.work_dir) {
        eprintln!(
            "ddi-agent: cannot create {}: {e}",
            options.work_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let installer = SlotInstaller::new(&options.slot, None);
    let mut agent = Agent::new(controller, installer, &options.work_dir);
    tracing::info!(controller = %options.controller, url = %options.url, "agent started");
    agent
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    tracing::info!("agent stopped");
    ExitCode::SUCCESS
}
