//! The server side of the DDI benchmarks: testkit's hawkBit DDI simulator in
//! a process of its own, so that the client processes' memory and CPU are
//! measured alone.
//!
//! It serves one tenant with a gateway token, pre-registers `--controllers`
//! ids (`<prefix>0` … `<prefix>N-1`) and, for every `--artifact NAME:BYTES`,
//! deploys a generated artifact of that size to the controller `dl-NAME`.
//! Then it prints what the clients need, one item per line:
//!
//! ```text
//! server http://127.0.0.1:PORT
//! tenant DEFAULT
//! token <gateway token>
//! controllers <prefix> <count>
//! artifact <controller> <bytes> <sha256> <download url>
//! ready
//! ```
//!
//! and serves until its standard input reaches end of file (or it gets
//! SIGINT/SIGTERM), so the orchestrator stops it by closing the pipe.
//!
//! The request log is off ("scale mode"): the per-request path stays
//! allocation-light and the log does not grow during 10,000-controller runs.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use testkit::ddi::{ArtifactSpec, Assignment, DdiServer, LinkOrigin, ModuleSpec, TenantConfig};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "hawkBit DDI simulator for the DDI benchmarks (serves until stdin closes)")]
struct Args {
    /// Gateway token of the tenant.
    #[arg(long, default_value = "bench-gateway-token")]
    token: String,
    /// Pre-registered controllers for the polling benchmark.
    #[arg(long, default_value_t = 0)]
    controllers: usize,
    /// Prefix of the pre-registered controller ids.
    #[arg(long, default_value = "gw-")]
    prefix: String,
    /// `NAME:BYTES`: a generated artifact deployed to controller `dl-NAME`.
    #[arg(long = "artifact", value_parser = parse_artifact)]
    artifacts: Vec<(String, u64)>,
    /// Runtime worker threads of the simulator.
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

fn parse_artifact(s: &str) -> Result<(String, u64), String> {
    let (name, bytes) = s
        .split_once(':')
        .ok_or_else(|| format!("expected NAME:BYTES, got {s:?}"))?;
    if name.is_empty() || name.contains('/') {
        return Err(format!("bad artifact name {name:?}"));
    }
    let bytes = bytes
        .parse::<u64>()
        .map_err(|e| format!("bad size {bytes:?}: {e}"))?;
    Ok((name.to_owned(), bytes))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let server = DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::with_gateway_token(&args.token))
        .request_log(false)
        .worker_threads(args.workers)
        .start();
    server.register_controllers((0..args.controllers).map(|i| format!("{}{i}", args.prefix)));
    println!("server {}", server.url());
    println!("tenant DEFAULT");
    println!("token {}", args.token);
    println!("controllers {} {}", args.prefix, args.controllers);
    for (seed, (name, bytes)) in args.artifacts.iter().enumerate() {
        let controller = format!("dl-{name}");
        let spec = ModuleSpec::new(format!("bench-{name}"), "1.0.0").artifact(
            ArtifactSpec::generated(name.clone(), *bytes, seed as u64 + 1),
        );
        let deployment = server.deploy(&[controller.as_str()], spec, &Assignment::default());
        let Some(module) = server.module(deployment.module) else {
            eprintln!("ddi_server: module {:?} vanished", deployment.module);
            return ExitCode::FAILURE;
        };
        let Some(artifact) = module.artifacts.first() else {
            eprintln!("ddi_server: module has no artifact");
            return ExitCode::FAILURE;
        };
        let url = server.artifact_url(&controller, deployment.module, name, LinkOrigin::Server);
        println!(
            "artifact {controller} {bytes} {} {url}",
            artifact.hashes.sha256
        );
    }
    println!("ready");
    wait_for_stop();
    ExitCode::SUCCESS
}

/// Blocks until stdin reaches EOF or a termination signal arrives.
fn wait_for_stop() {
    let (closed, eof) = tokio::sync::oneshot::channel::<()>();
    // A detached thread: a signal may end the wait while it still blocks in read.
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let sigterm = async move {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = eof => {}
            _ = tokio::signal::ctrl_c() => {}
            () = sigterm => {}
        }
    });
    runtime.shutdown_background();
}
